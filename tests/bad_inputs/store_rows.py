# Every row of every table of a store, in a stable order, for comparing a store before and after
# a command: the same text means nothing was lost or changed. "absent" for no file; for a file that
# is not an SQLite database, a digest of its bytes.
import hashlib
import os
import sqlite3
import sys

path = sys.argv[1]
if not os.path.exists(path):
    print("absent")
    sys.exit(0)
try:
    db = sqlite3.connect("file:" + path + "?mode=ro", uri=True)
    tables = db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").fetchall()
except sqlite3.DatabaseError:
    with open(path, "rb") as f:
        print("not SQLite, sha256", hashlib.sha256(f.read()).hexdigest())
    sys.exit(0)
for (table,) in tables:
    print("table", table)
    for row in sorted(db.execute('SELECT * FROM "%s"' % table).fetchall(), key=repr):
        print(repr(row))
