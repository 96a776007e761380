"""PyTorch reference of Sonata's text workload (bench/text.ts; BENCHMARKS.md "Text workload").

5,000 texts of 200 token ids (vocabulary 10,000 + Ludwig's 4 special symbols), binary label.
Ludwig's parallel_cnn encoder with its defaults: embedding 256, four parallel Conv1d
(256 filters, widths 2, 3, 4, 5, "same" padding, ReLU), concatenated (1,024 channels), sum over
time, FC 512 → 256 (ReLU), then the binary decoder (one logit, BCE with logits).
Adam 0.001, batch 128, one shuffled epoch. Prints one JSON line.

Run: /usr/bin/python3 bench/reference/text_workload.py [rows] [epochs]
"""
import json
import sys
import time

import torch
from torch import nn

torch.manual_seed(0)

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
EPOCHS = int(sys.argv[2]) if len(sys.argv) > 2 else 1
SEQ, VOCAB, EMB, FILTERS, BATCH = 200, 10_004, 256, 256, 128


class ParallelCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, EMB)
        self.convs = nn.ModuleList([nn.Conv1d(EMB, FILTERS, k, padding="same") for k in (2, 3, 4, 5)])
        self.fc = nn.Sequential(nn.Linear(4 * FILTERS, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU())
        self.out = nn.Linear(256, 1)

    def forward(self, ids):
        h = self.emb(ids).transpose(1, 2)  # [b, emb, seq]
        h = torch.cat([torch.relu(c(h)) for c in self.convs], 1)  # [b, 4·filters, seq]
        return self.out(self.fc(h.sum(2)))


ids = torch.randint(4, VOCAB, (ROWS, SEQ))
y = torch.randint(0, 2, (ROWS, 1)).float()
model = ParallelCNN()
opt = torch.optim.Adam(model.parameters(), 1e-3)
lossf = nn.BCEWithLogitsLoss()

start = time.perf_counter()
for _ in range(EPOCHS):
    perm = torch.randperm(ROWS)
    for i in range(0, ROWS, BATCH):
        idx = perm[i:i + BATCH]
        opt.zero_grad()
        loss = lossf(model(ids[idx]), y[idx])
        loss.backward()
        opt.step()
seconds = time.perf_counter() - start
print(json.dumps({
    "workload": "text-parallel-cnn",
    "rows": ROWS,
    "seq": SEQ,
    "epochs": EPOCHS,
    "seconds_per_epoch": seconds / EPOCHS,
    "torch_threads": torch.get_num_threads(),
}))
