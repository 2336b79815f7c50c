//! The ten books every fresh store starts with (docs/API.md, "Seed data"), and made-up books for scenarios that need
//! one of their own.

/// Title, id and price of each seed book, 50 copies each.
pub const BOOKS: [(&str, &str, f64); 10] = [
    ("The Pragmatic Programmer", "00000000-0000-0000-0000-000000000001", 49.99),
    ("Clean Code", "00000000-0000-0000-0000-000000000002", 39.99),
    ("Designing Data-Intensive Applications", "00000000-0000-0000-0000-000000000003", 59.99),
    ("Domain-Driven Design", "00000000-0000-0000-0000-000000000004", 54.99),
    ("Microservices Patterns", "00000000-0000-0000-0000-000000000005", 44.99),
    ("Kubernetes in Action", "00000000-0000-0000-0000-000000000006", 64.99),
    ("Spring in Action", "00000000-0000-0000-0000-000000000007", 49.99),
    ("Learning Python", "00000000-0000-0000-0000-000000000008", 69.99),
    ("Site Reliability Engineering", "00000000-0000-0000-0000-000000000009", 59.99),
    ("Kafka: The Definitive Guide", "00000000-0000-0000-0000-000000000010", 54.99),
];

/// The id of a seed book by its exact title.
pub fn id_of(title: &str) -> Option<&'static str> {
    BOOKS.iter().find(|(t, _, _)| *t == title).map(|(_, id, _)| *id)
}

/// Whether `id` is one of the seed books.
pub fn is_seed(id: &str) -> bool {
    BOOKS.iter().any(|(_, seed, _)| *seed == id)
}

/// A valid ISBN-13 (979 prefix, correct check digit) that no seed book has, different for every `n`.
pub fn isbn13(n: u64) -> String {
    let body = format!("979{:09}", n % 1_000_000_000);
    let sum: u32 =
        body.chars().filter_map(|c| c.to_digit(10)).enumerate().map(|(i, d)| if i % 2 == 0 { d } else { d * 3 }).sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_up_isbns_have_a_valid_check_digit() {
        assert_eq!(isbn13(0).len(), 13);
        for n in [0, 1, 42, 999_999_999, 123_456_789] {
            let digits: Vec<u32> = isbn13(n).chars().map(|c| c.to_digit(10).unwrap()).collect();
            let sum: u32 = digits.iter().enumerate().map(|(i, d)| if i % 2 == 0 { *d } else { d * 3 }).sum();
            assert_eq!(sum % 10, 0, "{}", isbn13(n));
        }
    }

    #[test]
    fn seed_titles_resolve() {
        assert_eq!(id_of("Clean Code"), Some("00000000-0000-0000-0000-000000000002"));
        assert!(is_seed("00000000-0000-0000-0000-000000000010"));
        assert_eq!(id_of("Nope"), None);
    }
}
