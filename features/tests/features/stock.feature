Feature: Stock levels
  Anyone can see how many copies of a book are in stock, reserved by checkouts in progress, and available.

  @smoke
  Scenario: Stock of an original book
    When a visitor checks the stock of "Domain-Driven Design"
    Then the stock of "Domain-Driven Design" adds up: available is the copies less those reserved

  Scenario: Stock of a book that does not exist
    When a visitor checks the stock of a book that does not exist
    Then they are told it was not found

  Scenario: A malformed book reference
    When a visitor checks the stock of the book with id "nope"
    Then the request is rejected as invalid, naming "book_id"

  Scenario: Several books at once, each once, unknown ones left out
    When a visitor checks the stock of these books at once:
      | The Pragmatic Programmer |
      | Clean Code               |
      | an unknown book          |
      | The Pragmatic Programmer |
    Then they get one stock line each for "The Pragmatic Programmer" and "Clean Code", in that order

  Scenario: Fifty unknown books at once is fine
    When a visitor checks the stock of 50 unknown books at once
    Then they get no stock lines

  Scenario: More than fifty books at once is too many
    When a visitor checks the stock of 51 unknown books at once
    Then the request is rejected as invalid, naming "book_ids"

  Scenario: An empty list gets no stock lines, as upstream's clients expect
    When a visitor checks stock at once with the list ""
    Then they get no stock lines

  Scenario Outline: A list that makes no sense: "<list>"
    When a visitor checks stock at once with the list "<list>"
    Then the request is rejected as invalid, naming "book_ids"

    Examples:
      | list                                             |
      | 00000000-0000-0000-0000-000000000001,not-a-uuid  |
      | 00000000-0000-0000-0000-000000000001, 00000000-0000-0000-0000-000000000002 |
