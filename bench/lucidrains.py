"""Loading lucidrains' performer-pytorch for the peers of bench/train_peer.py and bench/layer_peer.py.

Its module also imports local-attention (for local heads) and axial-positional-embedding, which
neither FastAttention nor SelfAttention without local heads uses; local-attention's newer releases
import further packages (hyper-connections). Where those imports fail, empty stand-ins take their
place, so that the module loads; the peers run performer-pytorch's own code.
"""
import sys
import types


def import_performer_pytorch():
    for name, attribute in (("local_attention", "LocalAttention"),
                            ("axial_positional_embedding", "AxialPositionalEmbedding")):
        try:
            __import__(name)
        except ImportError:
            stand_in = types.ModuleType(name)
            setattr(stand_in, attribute, None)
            sys.modules[name] = stand_in
    import performer_pytorch
    return performer_pytorch
