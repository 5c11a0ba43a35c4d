// The in-memory storage backend: the whole torrent in one buffer, for tests and embedded uses.
// Declared, with its rules, in tessera/storage.hpp (make_memory_storage); this header is what the
// engine and tests include.
#pragma once

#include "disk/storage.hpp"
