"""`scripts/cluster chaos`: checkout load through the gateway while, one at a time, components of the running local
cluster fail; after each fault, the shop's promises are checked against the databases.

Faults (in this order; `--faults a,b` picks some):
  api-kill             SIGKILL of an API replica, which is then started again (as Kubernetes would)
  materializer-kill    SIGKILL of a materializer (the consumer group rebalances), started again
  broker-restart       the Kafka broker stopped and started (durable storage: it keeps its log)
  debezium-restart     the ecom Debezium runner stopped and started (it resends from its last flushed offsets)
  inventory-restart    the inventory PostgreSQL server restarted (fast shutdown)
  redis-stop           Redis stopped for 10 s, then started (empty: it keeps nothing on disk, as in the cluster)

The load: shoppers (`load1`… of the identity service) each add a book to the cart and check out with an
Idempotency-Key, retrying a failed checkout with the same key, as a careful client does. Bounded: each fault's
phase runs a fixed time and a request budget, on loopback only.

After each fault, once the load stopped and the system settled:
  - every order a client was told about (201/200 with an id) exists in ecom;
  - stock moved by exactly what was sold since the run began, and nothing is reserved once the sweeper ran;
  - analytics holds every order, line and stock row of the sources, none twice, and the views' totals equal
    the sources' (no fact missing or doubled);
  - every order since the run began has its `order.created` on `outbox.event.order` (at least once: Debezium
    resends what it had not flushed when it stopped; the count of resent events is reported);
  - `bookstore reconcile` finds no drift.
"""

from __future__ import annotations

import collections
import http.client
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import client
import cluster
from client import Shopper, seed_book
from settings import Ports

BOOKS = [seed_book(n) for n in range(1, 11)]
SHOPPERS = 100
PACE_SECONDS = 6.5  # per shopper and checkout: under the deploy's 10 checkouts a minute
PHASE_SECONDS = 40
REQUEST_BUDGET = 3000  # per phase, all shoppers together
SETTLE_TIMEOUT = 240  # reservations of an interrupted checkout expire after 120 s, then the sweeper runs


@dataclass
class Outcomes:
    """What the clients saw during one phase."""

    told: set[str] = field(default_factory=set)
    statuses: collections.Counter = field(default_factory=collections.Counter)
    # One answer of each kind that was not a success, to say what clients were told.
    samples: dict[str, str] = field(default_factory=dict)
    retries: int = 0
    gave_up: int = 0
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def saw(self, what: str, status, detail: str = "") -> None:
        with self.lock:
            self.statuses[f"{what} {status}"] += 1
            self.requests += 1
            if detail:
                self.samples.setdefault(f"{what} {status}", detail)


def shopper_loop(shopper: Shopper, outcomes: Outcomes, stop: threading.Event, index: int) -> None:
    """One shopper: add a book, check out, then wait out the pace (the deploy's rate limits allow each shopper 10
    checkouts a minute; a paced shopper never meets them, so every refusal it sees comes from a fault)."""
    n = index
    while not stop.is_set() and outcomes.requests < REQUEST_BUDGET:
        began = time.monotonic()
        n += 1
        if attempt(shopper, outcomes, "add", lambda: shopper.add(BOOKS[n % len(BOOKS)], 1)) in (200, 201):
            checkout(shopper, outcomes)
        stop.wait(max(0.0, began + PACE_SECONDS - time.monotonic()))


def checkout(shopper: Shopper, outcomes: Outcomes) -> None:
    """Checks out with an Idempotency-Key, retrying with the same key until an answer that settles it (an order,
    or a refusal that a retry would not change) or a minute has passed."""
    key = str(uuid.uuid4())
    deadline = time.monotonic() + 60
    backoff = 0.25
    while time.monotonic() < deadline:
        status = attempt(shopper, outcomes, "checkout", lambda: shopper.checkout(key))
        if isinstance(status, tuple):  # (status, order id)
            with outcomes.lock:
                outcomes.told.add(status[1])
            return
        if status in (409, 422):
            return  # out of stock, or the cart emptied by an earlier try that committed: nothing to retry
        if status == 429:
            continue  # attempt() waited Retry-After
        with outcomes.lock:
            outcomes.retries += 1
        time.sleep(backoff)
        backoff = min(backoff * 2, 4)
    with outcomes.lock:
        outcomes.gave_up += 1


def attempt(shopper: Shopper, outcomes: Outcomes, what: str, call):
    """One request; returns its status (a (status, id) pair for an order), or the name of a connection error."""
    try:
        response = call()
    except (OSError, http.client.HTTPException) as err:
        outcomes.saw(what, type(err).__name__, str(err))
        return type(err).__name__
    detail = ""
    if response.status >= 400:
        body = response.json if response.headers.get("content-type", "").endswith("json") else None
        detail = body.get("detail", "") if isinstance(body, dict) else response.text.strip()[:120]
        detail = f"{detail} (via {response.served_by or 'the gateway'})"
    outcomes.saw(what, response.status, detail)
    if response.status == 403:
        shopper.csrf = None  # a Redis restart forgets CSRF tokens: the next write fetches a new one
    if response.status == 429:
        time.sleep(float(response.headers.get("retry-after", "1")))
    if what == "checkout" and response.status in (200, 201):
        return response.status, response.json["id"]
    return response.status


# --- the faults ----------------------------------------------------------------------------------------------------


def fault(name: str) -> None:
    """Injects one fault; the cluster's supervisor restarts what it stopped, as Kubernetes would."""
    if name == "api-kill":
        cluster.stop("api-1", sig=9)
    elif name == "materializer-kill":
        cluster.stop("materializer-1", sig=9)
    elif name == "broker-restart":
        cluster.stop("kafka")
    elif name == "debezium-restart":
        cluster.stop("debezium-ecom")
    elif name == "inventory-restart":
        c = cluster.component("postgres-inventory")
        cluster.stop(c.name, c.stop_signal)
    elif name == "redis-stop":
        cluster.hold_file("redis").touch()
        cluster.stop("redis")
        time.sleep(10)
        cluster.hold_file("redis").unlink()
    else:
        raise SystemExit(f"unknown fault {name}")
    cluster.wait_for(f"{name}: the cluster healthy again", all_healthy, 300)


def all_healthy() -> bool:
    return all(row["healthy"] for row in cluster.status() if row["name"] != "superset")


FAULTS = ["api-kill", "materializer-kill", "broker-restart", "debezium-restart", "inventory-restart", "redis-stop"]


# --- the checks ----------------------------------------------------------------------------------------------------


def scalar(database: str, sql: str) -> str:
    return cluster.psql(database, sql)


def stock() -> dict[str, tuple[int, int]]:
    rows = scalar("inventory", "SELECT book_id, quantity, reserved FROM inventory ORDER BY book_id")
    return {r.split("|")[0]: (int(r.split("|")[1]), int(r.split("|")[2])) for r in rows.splitlines()}


def sold_since(started: str) -> dict[str, int]:
    rows = scalar("ecom", "SELECT book_id, sum(quantity) FROM order_items JOIN orders o ON o.id = order_id "
                          f"WHERE o.created_at >= '{started}' GROUP BY book_id")
    return {r.split("|")[0]: int(r.split("|")[1]) for r in rows.splitlines() if r}


def settled(expected_facts: dict[str, str]) -> bool:
    return facts() == expected_facts and all(reserved == 0 for _, reserved in stock().values())


def facts() -> dict[str, str]:
    """What analytics holds, in the same shape as `sources()`."""
    return {
        "orders": scalar("analytics", "SELECT count(*) || ' ' || count(DISTINCT order_id) || ' ' || "
                                      "coalesce(sum(total), 0) FROM fact_orders"),
        "order_items": scalar("analytics", "SELECT count(*) || ' ' || count(DISTINCT id) || ' ' || "
                                           "coalesce(sum(quantity), 0) FROM fact_order_items"),
        "inventory": scalar("analytics", "SELECT count(*) || ' ' || count(DISTINCT book_id) || ' ' || "
                                         "coalesce(sum(quantity), 0) || ' ' || coalesce(sum(reserved), 0) "
                                         "FROM fact_inventory"),
        "views": scalar("analytics", "SELECT coalesce(sum(order_count), 0) || ' ' || coalesce(sum(daily_revenue), 0) "
                                     "FROM vw_sales_over_time") + " " +
                 scalar("analytics", "SELECT coalesce(sum(units_sold), 0) FROM vw_product_sales_volume"),
    }


def sources() -> dict[str, str]:
    return {
        "orders": scalar("ecom", "SELECT count(*) || ' ' || count(*) || ' ' || coalesce(sum(total), 0) FROM orders"),
        "order_items": scalar("ecom", "SELECT count(*) || ' ' || count(*) || ' ' || coalesce(sum(quantity), 0) "
                                      "FROM order_items"),
        "inventory": scalar("inventory", "SELECT count(*) || ' ' || count(*) || ' ' || coalesce(sum(quantity), 0) "
                                         "|| ' ' || coalesce(sum(reserved), 0) FROM inventory"),
        "views": scalar("ecom", "SELECT count(*) || ' ' || coalesce(sum(total), 0) FROM orders "
                                "WHERE status <> 'CANCELLED'") + " " +
                 scalar("ecom", "SELECT coalesce(sum(i.quantity), 0) FROM order_items i JOIN orders o "
                                "ON o.id = i.order_id WHERE o.status <> 'CANCELLED'"),
    }


def order_events() -> collections.Counter:
    """How many order.created records outbox.event.order holds per order id."""
    from smoke import record_key, topic_records

    return collections.Counter(record_key(r) for r in topic_records(cluster.PORTS, "outbox.event.order")
                               if "order.created" in r["headers"].get("eventType", ""))


def all_orders_since(started: str) -> list[str]:
    return scalar("ecom", f"SELECT id FROM orders WHERE created_at >= '{started}'").split()


def check(outcomes: Outcomes, started: str, initial: dict[str, tuple[int, int]]) -> tuple[list[str], float]:
    """The promises, once the system settled; also how long settling took (after the load stopped)."""
    problems = []
    if outcomes.told:
        ids = ",".join(f"'{i}'" for i in outcomes.told)
        found = int(scalar("ecom", f"SELECT count(*) FROM orders WHERE id IN ({ids})"))
        if found != len(outcomes.told):
            problems.append(f"{len(outcomes.told) - found} of {len(outcomes.told)} orders clients were told about "
                            "do not exist")
    # Let the system settle: CDC catches up, the sweeper releases what an interrupted checkout held.
    began = time.monotonic()
    while time.monotonic() < began + SETTLE_TIMEOUT and not settled(sources()):
        time.sleep(1)
    settling = time.monotonic() - began
    now, sold = stock(), sold_since(started)
    for book, (quantity, reserved) in now.items():
        start_quantity = initial.get(book, (quantity, 0))[0]
        if quantity != start_quantity - sold.get(book, 0):
            problems.append(f"book {book}: stock {start_quantity} -> {quantity}, sold {sold.get(book, 0)}")
        if reserved:
            problems.append(f"book {book}: {reserved} still reserved after {SETTLE_TIMEOUT} s")
    expected, actual = sources(), facts()
    for table in expected:
        if expected[table] != actual[table]:
            problems.append(f"analytics {table}: sources say {expected[table]}, analytics {actual[table]}")
    events = order_events()
    missing = [o for o in all_orders_since(started) if events.get(o, 0) == 0]
    if missing:
        problems.append(f"{len(missing)} orders have no order.created on outbox.event.order (e.g. {missing[0]})")
    reconcile = cluster.reconcile()
    if reconcile.returncode != 0:
        problems.append(f"bookstore reconcile: {reconcile.stdout.strip()} {reconcile.stderr.strip()}")
    return problems, settling


# --- the run -------------------------------------------------------------------------------------------------------


def phase(ports: Ports, name: str, shoppers: list[Shopper], started: str,
          initial: dict[str, tuple[int, int]]) -> tuple[Outcomes, list[str], float, float]:
    outcomes = Outcomes()
    stop = threading.Event()
    threads = [threading.Thread(target=shopper_loop, args=(s, outcomes, stop, i), daemon=True)
               for i, s in enumerate(shoppers)]
    for t in threads:
        t.start()
    time.sleep(PHASE_SECONDS / 3)
    cluster.log(f"chaos: {name}")
    began = time.monotonic()
    fault(name)
    healed = time.monotonic() - began
    remaining = PHASE_SECONDS - PHASE_SECONDS / 3 - healed
    time.sleep(max(remaining, PHASE_SECONDS / 3))
    stop.set()
    for t in threads:
        t.join(timeout=60)
    problems, settling = check(outcomes, started, initial)
    return outcomes, problems, healed, settling


def main(ports: Ports, state: Path, which: str, report: Path | None) -> int:
    faults = FAULTS if which == "all" else which.split(",")
    unhealthy = [row["name"] for row in cluster.status() if not row["healthy"] and row["name"] != "superset"]
    if cluster.read_pid("supervisor") is None:
        unhealthy.append("supervisor")
    if unhealthy:
        raise SystemExit(f"chaos needs a healthy cluster; not healthy: {', '.join(unhealthy)} (scripts/cluster up)")
    admin = Shopper(ports.gateway, client.password_grant(ports.gateway, "admin1", "admin1pass"))
    for book in BOOKS:  # enough stock that every checkout of the run can succeed
        response = admin.call("PUT", f"/inven/admin/stock/{book}", {"quantity": 100000})
        assert response.status == 200, f"stock of {book}: {response.status} {response.text[:200]}"
    shoppers = [Shopper(ports.gateway, client.password_grant(ports.gateway, f"load{n}", f"load{n}"))
                for n in range(1, SHOPPERS + 1)]
    started = scalar("ecom", "SELECT now()")
    initial = stock()
    resent_before = sum(n - 1 for n in order_events().values() if n > 1)
    rows, failed = [], False
    for name in faults:
        outcomes, problems, healed, settling = phase(ports, name, shoppers, started, initial)
        resent = sum(n - 1 for n in order_events().values() if n > 1) - resent_before
        failed |= bool(problems)
        seen = ", ".join(f"{k}: {v}" for k, v in sorted(outcomes.statuses.items()))
        verdict = "held" if not problems else "BROKEN: " + "; ".join(problems)
        rows.append(f"| {name} | {healed:.1f} s | {len(outcomes.told)} | {outcomes.retries} | {outcomes.gave_up} | "
                    f"{seen} | {settling:.1f} s | {resent} | {verdict} |")
        cluster.log(f"chaos: {name}: healthy again after {healed:.1f} s; {len(outcomes.told)} orders, "
                    f"{outcomes.retries} retries, {outcomes.gave_up} given up; settled {settling:.1f} s after the "
                    f"load; order events resent so far: {resent}; {verdict}")
        cluster.log(f"chaos:   responses: {seen}")
        for kind, detail in sorted(outcomes.samples.items()):
            cluster.log(f"chaos:   {kind}: {detail}")
    if report:
        header = ["| Fault | Healthy again after | Orders told | Checkout retries | Given up | What clients saw | "
                  "Settled after the load | Order events resent (run so far) | Invariants |",
                  "|---|---|---|---|---|---|---|---|---|"]
        report.write_text("\n".join(header + rows) + "\n")
    return 1 if failed else 0
