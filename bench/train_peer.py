"""The peer of attnsweep's train task: the same transaction classifier built in PyTorch (2.x),
trained on the same CSV folder with the same batches, to compare training throughput. Run in the
Debian 13 root (scripts/debian13_root.sh) by scripts/bench_train.sh, which pairs it with an
attnsweep train job of the same settings. Prints one JSON line.

What is the same as attnsweep's train task (experiments/models/transaction_classifier.cc,
encoder.cc, experiments/tasks/training_loop.cc):
- data: events sorted by time per customer; mcc and tr_type as frequency-rank indices (0 padding);
  weekday and hour embedded; the amount as sign(x) ln(1 + |x|) and the gap to the previous event
  as ln(1 + days), scaled by 0.1 and 0.3, through a linear layer; the sum layer-normalised;
- windows: each customer's last max_len events; batches of batch_size customers padded to their
  longest window; length buckets (pools of 50 batches sorted by window length, batches shuffled);
- model: sinusoidal positions, pre-norm encoder layers (attention, then a GELU feed-forward, each
  with its residual), a final layer norm, mean pooling over real events, a linear head, the
  logistic loss; AdamW (lr, weight decay), linear warm-up then cosine decay, gradient norm clipped;
- tokens: real (not padding) events of the training windows, counted per batch before the step;
  seconds: each epoch's wall time, batch making included, validation not (attnsweep's
  train_tokens_per_s counts the same).

The mixer in attention's place, by --attention:
- softmax: projections to q, k, v, torch.nn.functional.scaled_dot_product_attention with the
  padded keys masked (a boolean mask: SDPA's fused CPU kernel takes it), the output projection;
- gru: torch.nn.GRU, one direction;
- performer: lucidrains' performer-pytorch FastAttention (FAVOR+, orthogonal features, as many as
  attnsweep takes: ceil(d_head ln d_head)) between the same projections; padded keys' values
  zeroed, as its own SelfAttention does;
- linformer: lucidrains' linformer LinformerSelfAttention (k, keys and values sharing their
  projection, as attnsweep's default sharing `kv`); it takes no mask.
The last two need their repositories on PYTHONPATH (scripts/bench_train.sh: PEERS_DIR).

    python3 bench/train_peer.py --data DIR --attention softmax --max-len 256 --threads 1
"""
import argparse
import csv
import json
import math
import random
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from lucidrains import import_performer_pytorch


def read_dataset(folder):
    """Customers' event arrays, the way attnsweep prepares them (experiments/data/dataset.cc)."""
    labels = {}
    with open(f"{folder}/gender_train.csv", newline="") as f:
        for row in csv.DictReader(f):
            labels[int(row["customer_id"])] = int(row["gender"])
    events = {}
    mcc_count, type_count = {}, {}
    with open(f"{folder}/transactions.csv", newline="") as f:
        for order, row in enumerate(csv.DictReader(f)):
            customer = int(row["customer_id"])
            if customer not in labels:
                continue
            day, clock = row["tr_datetime"].split(" ")
            hours, minutes, seconds = (int(x) for x in clock.split(":"))
            time_days = int(day) + (hours * 3600 + minutes * 60 + min(seconds, 59)) / 86400.0
            mcc, kind, amount = int(row["mcc_code"]), int(row["tr_type"]), float(row["amount"])
            mcc_count[mcc] = mcc_count.get(mcc, 0) + 1
            type_count[kind] = type_count.get(kind, 0) + 1
            events.setdefault(customer, []).append((time_days, order, mcc, kind, amount, int(day), hours))

    def ranks(count):
        ordered = sorted(count.items(), key=lambda item: (-item[1], item[0]))
        return {code: i + 2 for i, (code, _) in enumerate(ordered)}

    mcc_index, type_index = ranks(mcc_count), ranks(type_count)
    customers = []
    for customer in sorted(events):
        rows = sorted(events[customer])
        previous = None
        sequence = []
        for time_days, _, mcc, kind, amount, day, hour in rows:
            gap = 0.0 if previous is None else time_days - previous
            previous = time_days
            sequence.append((mcc_index[mcc], type_index[kind], 1 + day % 7, 1 + hour,
                             math.copysign(math.log1p(abs(amount)), amount), math.log1p(max(gap, 0.0))))
        customers.append((sequence, labels[customer]))
    return customers, len(mcc_index) + 2, len(type_index) + 2


def make_batch(customers, chosen, max_len):
    windows = [customers[i][0][-max_len:] for i in chosen]
    longest = max(len(w) for w in windows)
    batch = len(chosen)
    cats = torch.zeros(batch, longest, 4, dtype=torch.long)
    numeric = torch.zeros(batch, longest, 2)
    padded = torch.ones(batch, longest, dtype=torch.bool)
    for b, window in enumerate(windows):
        n = len(window)
        cats[b, :n] = torch.tensor([w[:4] for w in window], dtype=torch.long)
        numeric[b, :n] = torch.tensor([w[4:] for w in window])
        padded[b, :n] = False
    labels = torch.tensor([float(customers[i][1]) for i in chosen])
    return cats, numeric, padded, labels


def epoch_batches(train, customers, batch_size, max_len, rng):
    """attnsweep's length buckets (training_loop.cc, EpochBatches)."""
    order = sorted(train)
    rng.shuffle(order)
    pool = 50 * batch_size
    for start in range(0, len(order), pool):
        order[start:start + pool] = sorted(
            order[start:start + pool], key=lambda c: min(len(customers[c][0]), max_len))
    batches = [order[s:s + batch_size] for s in range(0, len(order), batch_size)]
    rng.shuffle(batches)
    return batches


class Projected(nn.Module):
    """q, k, v projections, a mixing function over heads, the output projection."""

    def __init__(self, d_model, heads, mix):
        super().__init__()
        self.heads, self.mix = heads, mix
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.out = nn.Linear(d_model, d_model)

    def forward(self, x, padded):
        b, n, d = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        return self.out(self.mix(q, k, v, padded).transpose(1, 2).reshape(b, n, d))


def sdpa(q, k, v, padded):
    return F.scaled_dot_product_attention(q, k, v, attn_mask=~padded[:, None, None, :])


class Gru(nn.Module):
    def __init__(self, d_model):
        super().__init__()
        self.gru = nn.GRU(d_model, d_model, batch_first=True)

    def forward(self, x, padded):
        return self.gru(x)[0]


class LinformerPeer(nn.Module):
    def __init__(self, d_model, heads, max_len, k):
        super().__init__()
        from linformer import LinformerSelfAttention
        self.attention = LinformerSelfAttention(d_model, max_len, k=k, heads=heads, share_kv=True)

    def forward(self, x, padded):
        return self.attention(x)


def make_mixer(args):
    d_head = args.d_model // args.heads
    if args.attention == "softmax":
        return Projected(args.d_model, args.heads, sdpa)
    if args.attention == "gru":
        return Gru(args.d_model)
    if args.attention == "performer":
        favor = import_performer_pytorch().FastAttention(
            dim_heads=d_head, nb_features=math.ceil(d_head * math.log(d_head)))

        def performer(q, k, v, padded):
            return favor(q, k, v.masked_fill(padded[:, None, :, None], 0.0))

        mixer = Projected(args.d_model, args.heads, performer)
        mixer.favor = favor  # its feature matrix is a buffer of the model
        return mixer
    if args.attention == "linformer":
        return LinformerPeer(args.d_model, args.heads, args.max_len, args.linformer_k)
    raise SystemExit(f"unknown --attention {args.attention}")


class Layer(nn.Module):
    def __init__(self, args):
        super().__init__()
        self.attention = make_mixer(args)
        self.attention_norm = nn.LayerNorm(args.d_model)
        self.ff_norm = nn.LayerNorm(args.d_model)
        self.ff_in = nn.Linear(args.d_model, args.ff_dim)
        self.ff_out = nn.Linear(args.ff_dim, args.d_model)
        self.dropout = nn.Dropout(args.dropout)

    def forward(self, x, padded):
        h = x + self.dropout(self.attention(self.attention_norm(x), padded))
        ff = self.ff_out(self.dropout(F.gelu(self.ff_in(self.ff_norm(h)))))
        return h + self.dropout(ff)


class Classifier(nn.Module):
    def __init__(self, args, mcc_vocabulary, type_vocabulary):
        super().__init__()
        d = args.d_model
        self.mcc = nn.Embedding(mcc_vocabulary, d, padding_idx=0)
        self.tr_type = nn.Embedding(type_vocabulary, d, padding_idx=0)
        self.weekday = nn.Embedding(8, d, padding_idx=0)
        self.hour = nn.Embedding(25, d, padding_idx=0)
        self.numeric = nn.Linear(2, d)
        self.embedding_norm = nn.LayerNorm(d)
        self.register_buffer("scale", torch.tensor([0.1, 0.3]))
        position = torch.arange(args.max_len, dtype=torch.float).unsqueeze(1)
        frequency = torch.exp(torch.arange(0, d, 2, dtype=torch.float) * (-math.log(10000.0) / d))
        table = torch.zeros(args.max_len, d)
        table[:, 0::2] = torch.sin(position * frequency)
        table[:, 1::2] = torch.cos(position * frequency)[:, : d // 2]
        self.register_buffer("positions", table)
        self.dropout = nn.Dropout(args.dropout)
        self.layers = nn.ModuleList(Layer(args) for _ in range(args.layers))
        self.final_norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, 1)

    def forward(self, cats, numeric, padded):
        x = self.embedding_norm(self.mcc(cats[..., 0]) + self.tr_type(cats[..., 1]) +
                                self.weekday(cats[..., 2]) + self.hour(cats[..., 3]) +
                                self.numeric(numeric * self.scale))
        h = self.dropout(x + self.positions[: x.shape[1]])
        for layer in self.layers:
            h = layer(h, padded)
        h = self.final_norm(h)
        keep = (~padded).unsqueeze(-1).to(h.dtype)
        pooled = (h * keep).sum(1) / keep.sum(1).clamp_min(1.0)
        return self.head(pooled).squeeze(-1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="folder with transactions.csv, gender_train.csv")
    parser.add_argument("--attention", default="softmax",
                        choices=["softmax", "gru", "performer", "linformer"])
    parser.add_argument("--max-len", type=int, default=256)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--d-model", type=int, default=64)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--ff-dim", type=int, default=128)
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--linformer-k", type=int, default=256)
    parser.add_argument("--lr", type=float, default=0.02)
    parser.add_argument("--weight-decay", type=float, default=0.01)
    parser.add_argument("--warmup", type=float, default=0.1)
    parser.add_argument("--clip", type=float, default=1.0)
    parser.add_argument("--train-fraction", type=float, default=0.8,
                        help="share of labelled customers trained on (attnsweep's default: 0.8)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    customers, mcc_vocabulary, type_vocabulary = read_dataset(args.data)
    everyone = list(range(len(customers)))
    rng.shuffle(everyone)
    train = everyone[: round(args.train_fraction * len(customers))]
    model = Classifier(args, mcc_vocabulary, type_vocabulary)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    steps = args.epochs * math.ceil(len(train) / args.batch_size)
    warmup = max(1.0, args.warmup * steps)

    def rate(step):
        if step < warmup:
            return (step + 1) / warmup
        return 0.5 * (1 + math.cos(math.pi * min(1.0, (step - warmup) / max(1.0, steps - warmup))))

    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, rate)
    tokens = seconds = 0.0
    epoch_seconds = []
    for _ in range(args.epochs):
        model.train()
        start = time.perf_counter()
        for chosen in epoch_batches(train, customers, args.batch_size, args.max_len, rng):
            cats, numeric, padded, labels = make_batch(customers, chosen, args.max_len)
            tokens += float((~padded).sum())
            optimizer.zero_grad()
            loss = F.binary_cross_entropy_with_logits(model(cats, numeric, padded), labels)
            if not math.isfinite(loss.item()):
                sys.exit("the training loss diverged")
            loss.backward()
            if args.clip > 0:
                nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            optimizer.step()
            schedule.step()
        epoch_seconds.append(time.perf_counter() - start)
        seconds += epoch_seconds[-1]
    print(json.dumps({"train_tokens_per_s": tokens / seconds, "tokens": tokens,
                      "epoch_s": epoch_seconds, "torch": torch.__version__,
                      "train_customers": len(train), "threads": args.threads}))


if __name__ == "__main__":
    main()
