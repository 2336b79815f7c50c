#!/usr/bin/env python3
"""Generates the analytics benchmarks' data: Debezium change records as a `kcat -C -J` dump (what `bookstore replay`
reads) and the very same rows as CSV files for a raw `COPY` into the star-schema tables.

Usage: debezium_dump.py ORDERS OUT_DIR [--dump] [--csv] [--first-order N] [--no-catalog]
  ORDERS orders, each with two items, plus (unless --no-catalog) 1 000 books and their stock rows. Records are
  creates (`c`) on the upstream topic names, JSON without schemas (numerics as strings, timestamps as ISO strings),
  keyed like Debezium. Orders spread over the past 365 days. Deterministic: the same arguments give the same bytes.
  Writes OUT_DIR/dump.jsonl and/or OUT_DIR/{dim_books,fact_inventory,fact_orders,fact_order_items}.csv.
"""
import argparse
import csv
import json
import os
import random
import uuid
from datetime import datetime, timedelta, timezone

BOOKS = 1000
EPOCH = datetime(2026, 11, 27, tzinfo=timezone.utc)


def uid(kind, n):
    return str(uuid.UUID(int=(kind << 96) | n))


def iso(ts):
    return ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("orders", type=int)
    ap.add_argument("out")
    ap.add_argument("--dump", action="store_true")
    ap.add_argument("--csv", action="store_true")
    ap.add_argument("--first-order", type=int, default=0)
    ap.add_argument("--no-catalog", action="store_true")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = random.Random(args.first_order * 7919 + args.orders)
    lsn = 10_000 + args.first_order * 4
    offsets = {}
    dump = open(os.path.join(args.out, "dump.jsonl"), "w") if args.dump else None
    csvs = {}
    if args.csv:
        for t in ["dim_books", "fact_inventory", "fact_orders", "fact_order_items"]:
            f = open(os.path.join(args.out, t + ".csv"), "w", newline="")
            csvs[t] = (f, csv.writer(f))

    def emit(table, key, row, analytics_table, analytics_row):
        nonlocal lsn
        lsn += 1
        prefix = "inventory-connector" if table == "inventory" else "ecom-connector"
        topic = f"{prefix}.public.{table}"
        if dump:
            partition = 0
            offset = offsets.get(topic, 0)
            offsets[topic] = offset + 1
            ts_ms = int(EPOCH.timestamp() * 1000) + lsn
            payload = {"before": None, "after": row, "op": "c", "ts_ms": ts_ms, "source": {
                "version": "3.4.0.Final", "connector": "postgresql", "name": prefix, "ts_ms": ts_ms,
                "snapshot": "false", "db": "inventory" if table == "inventory" else "ecom",
                "sequence": f'["{lsn - 1}","{lsn}"]', "schema": "public", "table": table, "txId": lsn, "lsn": lsn,
                "xmin": None}}
            record = {"topic": topic, "partition": partition, "offset": offset, "tstype": "create", "ts": ts_ms,
                      "broker": 1, "headers": None, "key": json.dumps(key, separators=(",", ":")),
                      "payload": json.dumps(payload, separators=(",", ":"))}
            dump.write(json.dumps(record, separators=(",", ":")) + "\n")
        if csvs:
            csvs[analytics_table][1].writerow(analytics_row + [lsn])

    prices = {}
    for b in range(BOOKS):
        prices[b] = rng.randint(500, 8000)
    if not args.no_catalog:
        for b in range(BOOKS):
            bid = uid(1, b)
            price = f"{prices[b] // 100}.{prices[b] % 100:02d}"
            created = iso(EPOCH - timedelta(days=400))
            row = {"id": bid, "title": f"Book {b}", "author": f"Author {b % 150}", "price": price,
                   "description": "", "cover_url": None, "isbn": f"978-{b:010d}", "genre": f"Genre {b % 12}",
                   "published_year": 1990 + b % 35, "created_at": created, "updated_at": created}
            emit("books", {"id": bid}, row, "dim_books",
                 [bid, row["title"], row["author"], price, row["genre"], row["isbn"], row["published_year"], created])
        for b in range(BOOKS):
            bid = uid(1, b)
            updated = iso(EPOCH - timedelta(days=399))
            row = {"book_id": bid, "quantity": 1000 + b % 50, "reserved": 0, "updated_at": updated}
            emit("inventory", {"book_id": bid}, row, "fact_inventory", [bid, row["quantity"], 0, updated])
    statuses = ["CONFIRMED"] * 7 + ["SHIPPED", "DELIVERED", "CANCELLED"]
    for o in range(args.first_order, args.first_order + args.orders):
        oid = uid(2, o)
        created = iso(EPOCH - timedelta(seconds=rng.randint(0, 365 * 86400), microseconds=rng.randint(0, 999999)))
        lines = [(rng.randrange(BOOKS), rng.randint(1, 3)) for _ in range(2)]
        if lines[0][0] == lines[1][0]:
            lines[1] = ((lines[1][0] + 1) % BOOKS, lines[1][1])
        total = sum(prices[b] * q for b, q in lines)
        total_s = f"{total // 100}.{total % 100:02d}"
        status = statuses[o % len(statuses)]
        row = {"id": oid, "user_id": f"user{o % 5000}", "total": total_s, "status": status, "idempotency_key": None,
               "created_at": created, "updated_at": created}
        emit("orders", {"id": oid}, row, "fact_orders", [oid, row["user_id"], total_s, status, created])
        for i, (b, q) in enumerate(lines):
            iid = uid(3, o * 2 + i)
            price = f"{prices[b] // 100}.{prices[b] % 100:02d}"
            row = {"id": iid, "order_id": oid, "book_id": uid(1, b), "quantity": q, "price_at_purchase": price}
            emit("order_items", {"id": iid}, row, "fact_order_items", [iid, oid, uid(1, b), q, price])
    if dump:
        dump.close()
    for f, _ in csvs.values():
        f.close()


if __name__ == "__main__":
    main()
