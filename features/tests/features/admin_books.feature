Feature: Managing the catalog
  Admins add, edit and remove books. A new book comes with its stock; every problem with a book is reported at once.

  @smoke
  Scenario: Adding a book with its stock
    When the admin adds the book "Database Internals" by "Alex Petrov" at 52.50 with 7 copies
    Then the answer says where "Database Internals" now lives
    And a visitor finds "Database Internals" in the catalog at 52.50
    And a visitor sees 7 copies of "Database Internals" available

  Scenario: A new price shows at once, never a stale one
    Given the shop has a new book "Fresh Price" at 30.00 with 1 copy
    And a visitor has looked at "Fresh Price"
    When the admin changes the price of "Fresh Price" to 27.50
    Then a visitor finds "Fresh Price" in the catalog at 27.50

  Scenario: Removing a book removes it and its stock
    Given the shop has a new book "Short Lived" with 3 copies
    When the admin deletes "Short Lived"
    Then the book is gone
    And a visitor can no longer find "Short Lived"

  Scenario: Removing a book twice
    Given the shop has a new book "Gone Twice" with 1 copy
    When the admin deletes "Gone Twice"
    And the admin deletes "Gone Twice"
    Then they are told it was not found

  Scenario: A book someone has ordered cannot be removed
    Given the shop has a new book "Keepsake" with 2 copies
    And Ann has bought 1 copy of "Keepsake"
    When the admin deletes "Keepsake"
    Then they are told the request conflicts with the current state
    And a visitor finds "Keepsake" in the catalog at 15.00

  Scenario: Every problem with a book is listed at once
    When the admin adds a book with every field wrong
    Then every problem is listed: "title, author, price, isbn, coverUrl, initialStock, publishedYear"

  Scenario Outline: A book with a wrong <field> is refused
    When the admin adds a book whose <field> is <value>
    Then the request is rejected as invalid, naming "<field>"

    Examples:
      | field         | value              |
      | title         | "   "              |
      | author        | null               |
      | price         | -1                 |
      | price         | 10.999             |
      | price         | null               |
      | isbn          | "978-0000000000"   |
      | publishedYear | 999                |
      | coverUrl      | "ftp://covers/x"   |
      | initialStock  | -5                 |
      | initialStock  | 1000001            |

  Scenario: Two books cannot share an ISBN, however it is written
    When the admin adds another book with the ISBN of "Clean Code" written "9780132350884"
    Then they are told the request conflicts with another book's "isbn"

  Scenario: Stock is changed with the stock tools, not by editing the book
    Given the shop has a new book "Edit Me" with 4 copies
    When the admin tries to give "Edit Me" an initial stock while editing it
    Then the request is rejected as invalid, naming "initialStock"
    And a visitor sees 4 copies of "Edit Me" available

  Scenario: The admin's list of books
    When the admin lists the books
    Then the list includes "Clean Code"

  Scenario: A book that does not exist
    When the admin opens a book that does not exist
    Then they are told it was not found
