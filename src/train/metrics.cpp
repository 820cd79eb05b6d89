#include "se3t/train/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "se3t/util/atomic_file.h"
#include "se3t/util/check.h"
#include "se3t/util/json.h"
#include "se3t/util/text.h"

namespace se3t {
namespace {

std::string num(double x, int precision = 10) {
  if (!std::isfinite(x)) return "";
  std::ostringstream out;
  out.precision(precision);
  out << x;
  return out.str();
}

std::string fixed(double x, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, x);
  return buf;
}

std::string path_in(const std::string& dir, const char* name) {
  return (std::filesystem::path(dir) / name).string();
}

}  // namespace

void write_metrics(const std::string& out_dir, const std::string& task,
                   const std::vector<std::string>& metric_names,
                   const std::vector<EpochRecord>& history) {
  std::ostringstream csv, jsonl;
  csv << "epoch,step,lr,train_loss,valid_loss";
  for (const std::string& n : metric_names) csv << ",valid_" << n;
  csv << ",epoch_time_s,elapsed_s\n";
  for (const EpochRecord& r : history) {
    csv << r.epoch << "," << r.step << "," << num(r.lr) << "," << num(r.train_loss) << ","
        << num(r.valid_loss);
    jsonl << "{\"epoch\": " << r.epoch << ", \"step\": " << r.step
          << ", \"lr\": " << json_number(r.lr) << ", \"train_loss\": " << json_number(r.train_loss)
          << ", \"valid_loss\": " << json_number(r.valid_loss);
    for (size_t k = 0; k < metric_names.size(); ++k) {
      const double v = k < r.valid.size() ? r.valid[k] : NAN;
      csv << "," << num(v);
      jsonl << ", \"valid_" << metric_names[k] << "\": " << json_number(v);
    }
    csv << "," << num(r.epoch_time_s, 4) << "," << num(r.elapsed_s, 6) << "\n";
    jsonl << ", \"epoch_time_s\": " << json_number(r.epoch_time_s)
          << ", \"elapsed_s\": " << json_number(r.elapsed_s);
    for (const auto& [key, values] : {std::pair{"rank_compute_s", &r.rank_compute_s},
                                      std::pair{"rank_comm_s", &r.rank_comm_s}}) {
      if (values->empty()) continue;
      jsonl << ", \"" << key << "\": [";
      for (size_t k = 0; k < values->size(); ++k) {
        jsonl << (k ? ", " : "") << json_number((*values)[k], 6);
      }
      jsonl << "]";
    }
    jsonl << "}\n";
  }
  write_file_atomic(path_in(out_dir, "metrics.csv"), csv.str());
  write_file_atomic(path_in(out_dir, "metrics.jsonl"), jsonl.str());
  write_file_atomic(path_in(out_dir, "learning_curve.svg"),
                    learning_curve_svg("se3t " + task + " training: loss (log scale)", history));
}

std::string learning_curve_svg(const std::string& title, const std::vector<EpochRecord>& history) {
  const double W = 720, H = 440, left = 80, right = 160, top = 40, bottom = 60;
  const double pw = W - left - right, ph = H - top - bottom;
  // Loss range over both curves, in whole decades.
  double lo = INFINITY, hi = -INFINITY;
  int64_t max_epoch = 1;
  for (const EpochRecord& r : history) {
    for (double v : {r.train_loss, r.valid_loss}) {
      if (std::isfinite(v) && v > 0) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
    }
    max_epoch = std::max(max_epoch, r.epoch);
  }
  if (!(lo <= hi)) lo = 1e-3, hi = 1.0;
  double d_lo = std::floor(std::log10(lo)), d_hi = std::ceil(std::log10(hi));
  if (d_hi <= d_lo) d_hi = d_lo + 1;
  auto x_of = [&](double epoch) {
    return left + (max_epoch > 1 ? (epoch - 1) / static_cast<double>(max_epoch - 1) : 0.5) * pw;
  };
  auto y_of = [&](double v) { return top + (d_hi - std::log10(v)) / (d_hi - d_lo) * ph; };

  std::ostringstream s;
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << W << "\" height=\"" << H
    << "\" viewBox=\"0 0 " << W << " " << H << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
    << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    << "<text x=\"" << left + pw / 2 << "\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">"
    << title << "</text>\n";
  // Decade grid lines and labels, with minor ticks at 2..9.
  for (double d = d_lo; d <= d_hi + 1e-9; d += 1) {
    const double y = y_of(std::pow(10.0, d));
    s << "<line x1=\"" << left << "\" y1=\"" << fixed(y, 1) << "\" x2=\"" << left + pw << "\" y2=\""
      << fixed(y, 1) << "\" stroke=\"#ccc\"/>\n"
      << "<text x=\"" << left - 8 << "\" y=\"" << fixed(y + 4, 1) << "\" text-anchor=\"end\">1e"
      << static_cast<int>(d) << "</text>\n";
    if (d < d_hi) {
      for (int m = 2; m <= 9; ++m) {
        const double ym = y_of(m * std::pow(10.0, d));
        s << "<line x1=\"" << left << "\" y1=\"" << fixed(ym, 1) << "\" x2=\"" << left + 5
          << "\" y2=\"" << fixed(ym, 1) << "\" stroke=\"#888\"/>\n";
      }
    }
  }
  // Epoch ticks (about 10).
  const int64_t step = std::max<int64_t>(1, (max_epoch + 9) / 10);
  for (int64_t e = 1; e <= max_epoch; e += step) {
    const double x = x_of(static_cast<double>(e));
    s << "<line x1=\"" << fixed(x, 1) << "\" y1=\"" << top + ph << "\" x2=\"" << fixed(x, 1)
      << "\" y2=\"" << top + ph + 5 << "\" stroke=\"black\"/>\n"
      << "<text x=\"" << fixed(x, 1) << "\" y=\"" << top + ph + 20 << "\" text-anchor=\"middle\">"
      << e << "</text>\n";
  }
  s << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << pw << "\" height=\"" << ph
    << "\" fill=\"none\" stroke=\"black\"/>\n"
    << "<text x=\"" << left + pw / 2 << "\" y=\"" << H - 15
    << "\" text-anchor=\"middle\">epoch</text>\n";
  struct Curve {
    const char* name;
    const char* colour;
    double EpochRecord::*field;
  };
  const Curve curves[2] = {{"train", "#1f77b4", &EpochRecord::train_loss},
                           {"validation", "#d62728", &EpochRecord::valid_loss}};
  for (int c = 0; c < 2; ++c) {
    std::ostringstream pts;
    int64_t count = 0;
    for (const EpochRecord& r : history) {
      const double v = r.*(curves[c].field);
      if (!std::isfinite(v) || v <= 0) continue;
      pts << (count++ ? " " : "") << fixed(x_of(static_cast<double>(r.epoch)), 1) << ","
          << fixed(y_of(v), 1);
      s << "<circle cx=\"" << fixed(x_of(static_cast<double>(r.epoch)), 1) << "\" cy=\""
        << fixed(y_of(v), 1) << "\" r=\"2.5\" fill=\"" << curves[c].colour << "\"/>\n";
    }
    if (count > 1) {
      s << "<polyline fill=\"none\" stroke=\"" << curves[c].colour
        << "\" stroke-width=\"2\" points=\"" << pts.str() << "\"/>\n";
    }
    const double ly = top + 20 + 22 * c;
    s << "<line x1=\"" << left + pw + 15 << "\" y1=\"" << ly << "\" x2=\"" << left + pw + 45
      << "\" y2=\"" << ly << "\" stroke=\"" << curves[c].colour << "\" stroke-width=\"2\"/>\n"
      << "<text x=\"" << left + pw + 52 << "\" y=\"" << ly + 4 << "\">" << curves[c].name
      << "</text>\n";
  }
  s << "</svg>\n";
  return s.str();
}

}  // namespace se3t
