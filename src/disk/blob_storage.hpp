// The single-blob storage backend: the whole torrent as one file. Declared, with its layout rules,
// in tessera/storage.hpp (make_blob_storage); this header is what the engine and tests include.
#pragma once

#include "disk/storage.hpp"
