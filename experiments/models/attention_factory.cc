#include "experiments/models/attention_factory.h"

#include <nlohmann/json.hpp>

#include "experiments/models/chunked_attention.h"
#include "experiments/models/gru_mixer.h"
#include "experiments/models/infinity_former.h"
#include "experiments/models/linformer_attention.h"
#include "experiments/models/performer_attention.h"
#include "experiments/models/softmax_attention.h"
#include "experiments/tasks/tasks.h"

namespace attnsweep {

std::shared_ptr<AttentionImpl> MakeAttention(const nlohmann::json& model, int64_t max_len) {
  const std::string variant = model.at("attention").get<std::string>();
  const int64_t d_model = model.at("d_model").get<int64_t>();
  const int64_t heads = model.at("heads").get<int64_t>();
  if (variant == "softmax") {
    return std::make_shared<SoftmaxAttentionImpl>(
        SoftmaxAttentionOptions(d_model, heads).dropout(model.value("dropout", 0.0)));
  }
  if (variant == "softmax_chunked") {
    return std::make_shared<ChunkedAttentionImpl>(
        ChunkedAttentionOptions(d_model, heads)
            .block(model.at("chunked").at("block").get<int64_t>()));
  }
  if (variant == "performer") {
    const auto& performer = model.at("performer");
    return std::make_shared<PerformerAttentionImpl>(
        PerformerAttentionOptions(d_model, heads)
            .features(performer.at("features").get<int64_t>())
            .kernel(performer.at("kernel").get<std::string>())
            .sampling(performer.at("sampling").get<std::string>())
            .scaling(performer.at("scaling").get<std::string>())
            .redraw(performer.at("redraw").get<int64_t>()));
  }
  if (variant == "linformer") {
    const auto& linformer = model.at("linformer");
    int64_t projection_length = linformer.at("max_len").get<int64_t>();
    if (projection_length == 0) projection_length = max_len;
    if (max_len > projection_length) {
      throw InvalidJobConfig("Linformer: inputs of length " + std::to_string(max_len) +
                             " exceed model.linformer.max_len " +
                             std::to_string(projection_length));
    }
    return std::make_shared<LinformerAttentionImpl>(
        LinformerAttentionOptions(d_model, heads, projection_length)
            .k(linformer.at("k").get<int64_t>())
            .sharing(linformer.at("sharing").get<std::string>()));
  }
  if (variant == "infinity") {
    const auto& infinity = model.at("infinity");
    return std::make_shared<InfinityFormerImpl>(
        InfinityFormerOptions(d_model, heads)
            .segment(infinity.at("segment").get<int64_t>())
            .basis(infinity.at("basis").get<int64_t>())
            .widths(infinity.at("widths").get<std::vector<double>>())
            .ridge(infinity.at("ridge").get<double>())
            .samples(infinity.at("samples").get<int64_t>())
            .tau(infinity.at("tau").get<double>())
            .sticky(infinity.at("sticky").get<bool>())
            .detach(infinity.at("detach").get<bool>()));
  }
  if (variant == "gru") return std::make_shared<GruMixerImpl>(GruMixerOptions(d_model));
  throw InvalidJobConfig("no attention variant '" + variant + "' in this build");
}

}  // namespace attnsweep
