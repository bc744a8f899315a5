#include "cli/analysis/report_bundles.h"

#include <cctype>

extern "C" {
extern const char attnsweep_vega_begin[], attnsweep_vega_end[];
extern const char attnsweep_vega_lite_begin[], attnsweep_vega_lite_end[];
extern const char attnsweep_vega_embed_begin[], attnsweep_vega_embed_end[];
}

namespace attnsweep {

const ScriptBundle* ScriptBundles(size_t* count) {
  static const ScriptBundle bundles[] = {
      {"vega",
       ATTNSWEEP_VEGA_VERSION,
       {attnsweep_vega_begin, static_cast<size_t>(attnsweep_vega_end - attnsweep_vega_begin)}},
      {"vega-lite",
       ATTNSWEEP_VEGA_LITE_VERSION,
       {attnsweep_vega_lite_begin,
        static_cast<size_t>(attnsweep_vega_lite_end - attnsweep_vega_lite_begin)}},
      {"vega-embed",
       ATTNSWEEP_VEGA_EMBED_VERSION,
       {attnsweep_vega_embed_begin,
        static_cast<size_t>(attnsweep_vega_embed_end - attnsweep_vega_embed_begin)}},
  };
  *count = sizeof(bundles) / sizeof(bundles[0]);
  return bundles;
}

std::string InlineScript(std::string_view source) {
  std::string out;
  out.reserve(source.size());
  size_t start = 0;
  while (start < source.size()) {
    size_t end = source.find('\n', start);
    if (end == std::string_view::npos) end = source.size();
    std::string_view line = source.substr(start, end - start);
    if (line.rfind("//# sourceMappingURL=", 0) != 0) {
      for (size_t i = 0; i < line.size(); ++i) {
        out += line[i];
        if (line[i] == '<') {
          std::string next(line.substr(i + 1, 7));
          for (char& c : next) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          if (next == "/script") out += '\\';
        }
      }
      if (end < source.size()) out += '\n';
    }
    start = end + 1;
  }
  return out;
}

}  // namespace attnsweep
