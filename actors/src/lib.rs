//! Supervised actors that own the shop's mutable state and decisions.
//!
//! - a **CartSession** per shopper, spawned on first use and passivated when idle; it writes every change
//!   through to `cart_items`, so a restarted actor (or another replica) rebuilds the same cart, and it runs its
//!   shopper's checkout, so one shopper's checkouts never race each other;
//! - a **Reservation** actor per book, serialising that book's stock changes in this process (correctness across
//!   processes comes from the conditional SQL in `bookstore_entities::repo::stock`);
//! - the **checkout saga**: reserve every line or none, then one ecom transaction for the order, its lines and the
//!   `order.created` outbox event, then confirm the reservations;
//! - **order moves** after checkout (ship, deliver, cancel); a cancel gives the order's units back through the
//!   Reservation actors, once;
//! - a **Sweeper** that settles reservations a crash left behind: confirmed when their order committed, released
//!   when it did not and they expired or the order was cancelled; and finishes interrupted stock returns;
//! - a **root supervisor** that restarts failed children with backoff and gives up loudly after a burst.
//!
//! The HTTP layer talks to [`Commerce`] only; it never touches cart or stock state itself.

mod cart;
mod checkout;
mod commerce;
mod error;
mod orders;
mod pool;
mod reservation;
pub mod supervision;
mod supervisor;
mod sweeper;

pub use cart::Carts;
pub use checkout::{CheckoutOutcome, Shortage};
pub use commerce::{Commerce, CommerceConfig};
pub use error::CommerceError;
pub use orders::{MoveError, Mover, Orders};
pub use reservation::Reservations;
pub use sweeper::SweepReport;

#[cfg(feature = "fault-injection")]
pub use commerce::Faults;
