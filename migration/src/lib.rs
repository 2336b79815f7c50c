//! migrators
