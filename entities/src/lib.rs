//! sea-orm entities
