//! Domain newtypes: values that are checked once, where they enter, and cannot be invalid afterwards.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// An amount of money: never negative, at most two decimals, held exactly.
///
/// It serialises as a JSON number with exactly two decimals (`50.00`, not `50` or `50.0`), as docs/API.md promises, by
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

/// How many copies of one book a cart line or order line holds: 1 to 99.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
#[schema(value_type = i32, minimum = 1, maximum = 99)]
pub struct Quantity(i32);

#[derive(Debug, Error, PartialEq, Eq)]
#[error("must be a whole number from {min} to {max}", min = Quantity::MIN, max = Quantity::MAX)]
pub struct QuantityError;

impl Quantity {
    pub const MIN: i32 = 1;
    pub const MAX: i32 = 99;

    pub fn new(value: i64) -> Result<Self, QuantityError> {
        i32::try_from(value).ok().filter(|v| (Self::MIN..=Self::MAX).contains(v)).map(Self).ok_or(QuantityError)
    }

    pub fn get(self) -> i32 {
        self.0
    }
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = i64::deserialize(deserializer)?;
        Self::new(value).map_err(serde::de::Error::custom)
    }
}

/// An ISBN-10 or ISBN-13 with a valid check digit, kept as written (hyphens allowed).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[schema(value_type = String, example = "978-1449373320")]
pub struct Isbn(String);

#[derive(Debug, Error, PartialEq, Eq)]
#[error("must be an ISBN-10 or ISBN-13 with a valid check digit")]
pub struct IsbnError;

impl Isbn {
    pub fn parse(raw: &str) -> Result<Self, IsbnError> {
        let written = raw.trim();
        if written.is_empty() || !written.chars().all(|c| c.is_ascii_digit() || c == '-' || c == 'X' || c == 'x') {
            return Err(IsbnError);
        }
        let compact: Vec<char> = written.chars().filter(|c| *c != '-').map(|c| c.to_ascii_uppercase()).collect();
        let valid = match compact.len() {
            13 => {
                let digits: Option<Vec<u32>> = compact.iter().map(|c| c.to_digit(10)).collect();
                digits.is_some_and(|d| {
                    d.iter().enumerate().map(|(i, v)| v * if i % 2 == 0 { 1 } else { 3 }).sum::<u32>() % 10 == 0
                })
            }
            10 => {
                let values: Option<Vec<u32>> = compact
                    .iter()
                    .enumerate()
                    .map(|(i, c)| if i == 9 && *c == 'X' { Some(10) } else { c.to_digit(10) })
                    .collect();
                values.is_some_and(|v| v.iter().enumerate().map(|(i, d)| (10 - i as u32) * d).sum::<u32>() % 11 == 0)
            }
            _ => false,
        };
        if valid && !written.starts_with('-') && !written.ends_with('-') {
            Ok(Self(written.to_ascii_uppercase()))
        } else {
            Err(IsbnError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where an order is in its life. Placed orders start CONFIRMED (`PENDING` is reserved for payment flows the
/// shop does not have); an admin ships and then delivers them, and the shopper or an admin may cancel one that has
/// not shipped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    Pending,
    Confirmed,
    Shipped,
    Delivered,
    Cancelled,
}

#[derive(Debug, Error, PartialEq, Eq)]
#[error("expected one of PENDING, CONFIRMED, SHIPPED, DELIVERED, CANCELLED")]
pub struct OrderStatusError;

impl OrderStatus {
    pub const ALL: [OrderStatus; 5] = [
        OrderStatus::Pending,
        OrderStatus::Confirmed,
        OrderStatus::Shipped,
        OrderStatus::Delivered,
        OrderStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "PENDING",
            OrderStatus::Confirmed => "CONFIRMED",
            OrderStatus::Shipped => "SHIPPED",
            OrderStatus::Delivered => "DELIVERED",
            OrderStatus::Cancelled => "CANCELLED",
        }
    }

    /// The statuses an order in this one may move to.
    pub fn next(self) -> &'static [OrderStatus] {
        match self {
            OrderStatus::Pending => &[OrderStatus::Confirmed, OrderStatus::Cancelled],
            OrderStatus::Confirmed => &[OrderStatus::Shipped, OrderStatus::Cancelled],
            OrderStatus::Shipped => &[OrderStatus::Delivered],
            OrderStatus::Delivered | OrderStatus::Cancelled => &[],
        }
    }

    /// The statuses from which an order may move to this one.
    pub fn previous(self) -> Vec<OrderStatus> {
        Self::ALL.into_iter().filter(|from| from.next().contains(&self)).collect()
    }

    /// The outbox event that announces an order reaching this status.
    pub fn event_type(self) -> &'static str {
        match self {
            OrderStatus::Pending => "order.pending",
            OrderStatus::Confirmed => "order.created",
            OrderStatus::Shipped => "order.shipped",
            OrderStatus::Delivered => "order.delivered",
            OrderStatus::Cancelled => "order.cancelled",
        }
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for OrderStatus {
    type Err = OrderStatusError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw).ok_or(OrderStatusError)
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
    fn order_statuses_move_forward_only() {
        use OrderStatus::*;
        assert_eq!(Confirmed.next(), [Shipped, Cancelled]);
        assert_eq!(Shipped.next(), [Delivered]);
        assert!(Delivered.next().is_empty() && Cancelled.next().is_empty());
        assert_eq!(Cancelled.previous(), [Pending, Confirmed]);
        assert_eq!(Delivered.previous(), [Shipped]);
        for status in OrderStatus::ALL {
            assert_eq!(OrderStatus::from_str(status.as_str()), Ok(status));
        }
        assert_eq!(OrderStatus::from_str("confirmed"), Err(OrderStatusError));
    }

    #[test]
    fn quantity_is_one_to_ninety_nine() {
        assert!(Quantity::new(0).is_err());
        assert!(Quantity::new(100).is_err());
        assert!(Quantity::new(i64::from(i32::MAX) + 1).is_err());
        assert_eq!(Quantity::new(99).unwrap().get(), 99);
        assert!(serde_json::from_str::<Quantity>("-1").is_err());
        assert!(serde_json::from_str::<Quantity>("2.5").is_err());
    }

    #[test]
    fn isbn_check_digits() {
        for good in ["978-0135957059", "9781449373320", "0-306-40615-2", "0-8044-2957-X"] {
            assert!(Isbn::parse(good).is_ok(), "{good}");
        }
        for bad in ["978-0135957058", "12345", "", "978-01359570599", "abc", "-9781449373320"] {
            assert_eq!(Isbn::parse(bad), Err(IsbnError), "{bad}");
        }
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
