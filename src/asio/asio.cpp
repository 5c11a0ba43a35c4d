// The one translation unit that compiles Asio (and its SSL support); every other file only declares
// it, because BOOST_ASIO_SEPARATE_COMPILATION is set for all targets linking tessera_asio.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
