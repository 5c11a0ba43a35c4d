# tessera's own web interface (web/, docs/daemon.md "Web interface"), built with esbuild and
# embedded in the binary: `tessera daemon` serves it at /tessera/web/ with no file beside it.
#
# At build time: `node web/build.mjs --outdir <build>/web-dist` bundles web/src, then
# cmake/embed_web.cmake turns every file of web-dist into bytes in a generated C++ source
# (<build>/generated/web_assets_data.cpp), compiled into tessera_web_assets, which tessera_rpc
# links. The bundle is rebuilt when a file under web/src, web/build.mjs or web/package-lock.json
# changes (a file added under web/src re-runs CMake through the CONFIGURE_DEPENDS glob).
#
# Needs Node.js (>= 18) and web/node_modules: scripts/setup.sh installs Node, scripts/build.sh
# runs `npm ci` in web/.
set(tessera_web_dir ${PROJECT_SOURCE_DIR}/web)
set(tessera_web_fix "run scripts/setup.sh (installs Node.js and npm) and scripts/build.sh (runs `npm ci` in web/)")

find_program(TESSERA_NODE node)
if(NOT TESSERA_NODE)
  message(FATAL_ERROR "tessera's web interface needs Node.js (node) to build: ${tessera_web_fix}")
endif()
execute_process(COMMAND ${TESSERA_NODE} --version OUTPUT_VARIABLE tessera_node_version
                OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE tessera_node_result)
string(REGEX MATCH "^v([0-9]+)" tessera_node_major "${tessera_node_version}")
if(NOT tessera_node_result EQUAL 0 OR NOT CMAKE_MATCH_1 OR CMAKE_MATCH_1 LESS 18)
  message(FATAL_ERROR "tessera's web interface needs Node.js 18 or newer; ${TESSERA_NODE} is "
                      "'${tessera_node_version}': ${tessera_web_fix}")
endif()
if(NOT EXISTS ${tessera_web_dir}/node_modules/esbuild/package.json OR
   NOT EXISTS ${tessera_web_dir}/node_modules/preact/package.json)
  message(FATAL_ERROR "web/node_modules is missing (esbuild and preact build the web interface): "
                      "${tessera_web_fix}")
endif()

file(GLOB_RECURSE tessera_web_sources CONFIGURE_DEPENDS ${tessera_web_dir}/src/*)
set(tessera_web_dist ${CMAKE_BINARY_DIR}/web-dist)
set(tessera_web_generated ${CMAKE_BINARY_DIR}/generated/web_assets_data.cpp)
add_custom_command(
  OUTPUT ${tessera_web_generated}
  COMMAND ${CMAKE_COMMAND} -E rm -rf ${tessera_web_dist}
  COMMAND ${TESSERA_NODE} ${tessera_web_dir}/build.mjs --outdir ${tessera_web_dist}
  COMMAND ${CMAKE_COMMAND} -DDIST=${tessera_web_dist} -DOUTPUT=${tessera_web_generated}
          -P ${CMAKE_CURRENT_LIST_DIR}/embed_web.cmake
  DEPENDS ${tessera_web_sources} ${tessera_web_dir}/build.mjs ${tessera_web_dir}/package-lock.json
          ${CMAKE_CURRENT_LIST_DIR}/embed_web.cmake
  COMMENT "Building the web interface (web/) and embedding it"
  VERBATIM)
add_library(tessera_web_assets STATIC ${tessera_web_generated})
target_include_directories(tessera_web_assets PRIVATE ${PROJECT_SOURCE_DIR}/src)
