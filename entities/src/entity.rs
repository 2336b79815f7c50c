//! sea-orm entities, one module per table, grouped by the database that owns them.

pub mod ecom {
    //! Tables of the ecom database.
    pub mod book;
}

pub mod inventory {
    //! Tables of the inventory database.
    pub mod stock;
}
