# Every row of every table of a store, in a stable order, for comparing a store before and after
# a command: the same text means nothing was lost or changed. "absent" for no file.
import os
import sqlite3
import sys

path = sys.argv[1]
if not os.path.exists(path):
    print("absent")
    sys.exit(0)
db = sqlite3.connect("file:" + path + "?mode=ro", uri=True)
for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"):
    print("table", table)
    for row in sorted(db.execute('SELECT * FROM "%s"' % table).fetchall(), key=repr):
        print(repr(row))
