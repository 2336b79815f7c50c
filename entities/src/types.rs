//! Domain newtypes: values that are checked once, where they enter, and cannot be invalid afterwards.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// An amount of money: never negative, at most two decimals, held exactly.
///
/// It serialises as a JSON number with exactly two decimals (`50.00`, not `50` or `50.0`), as API.md promises, by
/// writing the digits itself instead of going through a float.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, utoipa::ToSchema)]
#[schema(value_type = f64, example = 49.99)]
pub struct Money(Decimal);

#[derive(Debug, Error, PartialEq, Eq)]
pub enum MoneyError {
    #[error("must not be negative")]
    Negative,
    #[error("must have at most two decimals")]
    TooPrecise,
}

impl Money {
    pub fn new(amount: Decimal) -> Result<Self, MoneyError> {
        if amount.is_sign_negative() && !amount.is_zero() {
            return Err(MoneyError::Negative);
        }
        if amount.normalize().scale() > 2 {
            return Err(MoneyError::TooPrecise);
        }
        Ok(Self(amount))
    }

    pub fn amount(self) -> Decimal {
        self.0
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.2}", self.0)
    }
}

impl TryFrom<Decimal> for Money {
    type Error = MoneyError;
    fn try_from(amount: Decimal) -> Result<Self, MoneyError> {
        Self::new(amount)
    }
}

impl Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let digits = serde_json::value::RawValue::from_string(self.to_string()).map_err(serde::ser::Error::custom)?;
        digits.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let amount = <Decimal as Deserialize>::deserialize(deserializer)?;
        Self::new(amount).map_err(serde::de::Error::custom)
    }
}

/// Which page of a listing to return: `page` counts from 0, `size` is 1 to [`PageRequest::MAX_SIZE`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PageRequest {
    page: u32,
    size: u32,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum PageError {
    #[error("must be between 1 and {max}", max = PageRequest::MAX_SIZE)]
    Size,
    #[error("must be at most {max}", max = PageRequest::MAX_PAGE)]
    Page,
}

impl PageRequest {
    pub const MAX_SIZE: u32 = 100;
    /// Far beyond any real catalog, and small enough that `page * size` cannot overflow an `i64` offset.
    pub const MAX_PAGE: u32 = 1_000_000;

    pub fn new(page: u32, size: u32) -> Result<Self, PageError> {
        if !(1..=Self::MAX_SIZE).contains(&size) {
            return Err(PageError::Size);
        }
        if page > Self::MAX_PAGE {
            return Err(PageError::Page);
        }
        Ok(Self { page, size })
    }

    pub fn page(self) -> u32 {
        self.page
    }

    pub fn size(self) -> u32 {
        self.size
    }

    pub fn offset(self) -> u64 {
        u64::from(self.page) * u64::from(self.size)
    }
}

/// One page of a listing, with the total the client needs to draw pagination.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub request: PageRequest,
}

impl<T> Page<T> {
    pub fn total_pages(&self) -> u64 {
        self.total.div_ceil(u64::from(self.request.size()))
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { items: self.items.into_iter().map(f).collect(), total: self.total, request: self.request }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn money(s: &str) -> Result<Money, MoneyError> {
        Money::new(Decimal::from_str(s).unwrap())
    }

    #[test]
    fn money_serialises_with_two_decimals() {
        assert_eq!(serde_json::to_string(&money("50").unwrap()).unwrap(), "50.00");
        assert_eq!(serde_json::to_string(&money("49.9").unwrap()).unwrap(), "49.90");
        assert_eq!(serde_json::to_string(&money("0").unwrap()).unwrap(), "0.00");
        assert_eq!(serde_json::to_string(&money("123456789.99").unwrap()).unwrap(), "123456789.99");
    }

    #[test]
    fn money_rejects_negative_and_sub_cent_amounts() {
        assert_eq!(money("-0.01"), Err(MoneyError::Negative));
        assert_eq!(money("1.001"), Err(MoneyError::TooPrecise));
        assert!(money("1.100").is_ok(), "trailing zeros are not extra precision");
        assert!(serde_json::from_str::<Money>("-3").is_err());
        assert_eq!(serde_json::from_str::<Money>("39.99").unwrap(), money("39.99").unwrap());
    }

    #[test]
    fn page_request_bounds() {
        assert_eq!(PageRequest::new(0, 0), Err(PageError::Size));
        assert_eq!(PageRequest::new(0, 101), Err(PageError::Size));
        assert_eq!(PageRequest::new(PageRequest::MAX_PAGE + 1, 10), Err(PageError::Page));
        assert_eq!(PageRequest::new(3, 20).unwrap().offset(), 60);
        let page = Page { items: vec![1, 2], total: 41, request: PageRequest::new(0, 20).unwrap() };
        assert_eq!(page.total_pages(), 3);
    }
}
