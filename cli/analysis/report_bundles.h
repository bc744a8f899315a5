// Vega, Vega-Lite and vega-embed, embedded at build time (cmake/report_bundles.S.in) and made safe
// to inline in an HTML <script> element.
#pragma once

#include <string>
#include <string_view>

namespace attnsweep {

struct ScriptBundle {
  std::string_view name;     // "vega"
  std::string_view version;  // from its package.json at build time
  std::string_view source;   // the minified bundle as shipped
};

// In the order a page must load them: vega, vega-lite, vega-embed.
const ScriptBundle* ScriptBundles(size_t* count);

// `source` ready to sit between <script> and </script>: its source-map comment removed (the map is
// not shipped) and any "</script" spelled "<\/script" (the same string to JavaScript, but not the
// end of the element to the HTML parser).
std::string InlineScript(std::string_view source);

}  // namespace attnsweep
