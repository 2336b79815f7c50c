//! Supervised actors that own the shop's mutable state: one `CartSession` per shopper, `Reservation` actors that
//! serialise stock changes per book, and the checkout saga that ties them together.
//!
//! The HTTP layer never touches cart or stock state directly; it forwards requests to these actors. They arrive with
//! the Commerce issue; this crate exists now so the workspace has its final shape.
