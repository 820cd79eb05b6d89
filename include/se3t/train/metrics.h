// Metric files of a training run: metrics.csv, metrics.jsonl and learning_curve.svg, all
// rewritten from the full history after every epoch (each atomically: temp file + rename), so
// they always agree with the checkpoint, also after an interrupted and resumed run.
#pragma once
#include <string>
#include <vector>

#include "se3t/train/checkpoint.h"

namespace se3t {

void write_metrics(const std::string& out_dir, const std::vector<EpochRecord>& history);

// The learning curve as a self-contained SVG document: train and validation loss against the
// epoch, on a logarithmic loss axis.
std::string learning_curve_svg(const std::vector<EpochRecord>& history);

// Writes `text` to path via path + ".tmp" and a rename.
void write_file_atomic(const std::string& path, const std::string& text);

}  // namespace se3t
