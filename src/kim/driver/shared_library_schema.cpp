// What the KIM API looks for in a collection item's shared library (KIM_SharedLibrarySchema.hpp,
// version 2): the item's type and name, its create routine, and its embedded files. KIM's own
// CMake function add_kim_api_model_driver_library generates the same table from a template; se3t
// builds the driver inside its own project (with LibTorch and libse3t), so it spells it out.
#include <cstddef>

#include "KIM_CollectionItemType.hpp"
#include "KIM_FunctionTypes.hpp"
#include "KIM_LanguageName.hpp"
#include "KIM_SharedLibrarySchema.hpp"
#include "se3t/kim/portable_model.h"

extern "C" {
KIM::ModelDriverCreateFunction se3t_kim_model_driver_create;

// The KIM API version the driver was compiled with, as the metadata file KIM's items carry.
static const char kCompiledWith[] = SE3T_KIM_API_VERSION "\n";
static const KIM::SHARED_LIBRARY_SCHEMA::SharedLibrarySchemaV2::EmbeddedFile kMetadata[] = {
    {"item-compiled-with-version.txt", sizeof(kCompiledWith) - 1,
     reinterpret_cast<const unsigned char*>(kCompiledWith)}};

int kim_shared_library_schema_version = 2;

KIM::SHARED_LIBRARY_SCHEMA::SharedLibrarySchemaV2 kim_shared_library_schema = {
    KIM::COLLECTION_ITEM_TYPE::modelDriver,
    se3t::kim::kDriverName,
    KIM::LANGUAGE_NAME::cpp,
    reinterpret_cast<KIM::Function*>(se3t_kim_model_driver_create),
    NULL,  // a driver has no driver
    NULL,  // nor a simulator model specification
    0,
    NULL,  // parameter files belong to the portable models
    1,
    kMetadata};
}
