Feature: Browsing the catalog
  Anyone can browse the books the shop sells, page by page and in the order they like, without signing in.
  The shop opens with ten books; scenarios elsewhere may add more, so these speak of "the original books".

  @smoke
  Scenario: The first page of the catalog
    When a visitor opens page 1 of the catalog with 5 books per page
    Then they see 5 books
    And the catalog says it holds at least 10 books

  @serial
  Scenario: Every book appears exactly once across the pages
    When a visitor reads the whole catalog 4 books at a time sorted by "price,desc"
    Then every book appears exactly once
    And all 10 original books are there

  Scenario: A page far past the end is empty
    When a visitor opens page 100 of the catalog, far past the end
    Then the page is empty but still tells how many books there are

  Scenario Outline: Sorting the catalog by <sort>
    When a visitor sorts the catalog by "<sort>"
    Then among the original books "<first>" comes first and "<last>" comes last

    Examples:
      | sort               | first                        | last                     |
      | title              | Clean Code                   | The Pragmatic Programmer |
      | title,desc         | The Pragmatic Programmer     | Clean Code               |
      | price              | Clean Code                   | Learning Python          |
      | price,desc         | Learning Python              | Clean Code               |
      | publishedYear      | Domain-Driven Design         | Spring in Action         |
      | publishedYear,desc | Spring in Action             | Domain-Driven Design     |
      | author             | Site Reliability Engineering | Clean Code               |

  @smoke
  Scenario: A book's details
    When a visitor opens the book "Designing Data-Intensive Applications"
    Then they see the book written by "Martin Kleppmann" priced 59.99
    And the book has ISBN "978-1449373320", genre "Systems Design" and was published in 2017
    And the price is written exactly as "59.99"

  Scenario: A book that does not exist
    When a visitor opens a book that does not exist
    Then they are told it was not found

  Scenario Outline: A malformed book address: <id>
    When a visitor opens the book with id "<id>"
    Then the request is rejected as invalid, naming "id"

    Examples:
      | id                                   |
      | not-a-uuid                           |
      | 1234                                 |
      | 00000000-0000-0000-0000-00000000001Z |

  Scenario Outline: Paging and sorting that make no sense: <query>
    When a visitor asks for the catalog with "<query>"
    Then the request is rejected as invalid, naming "<parameter>"

    Examples:
      | query             | parameter |
      | size=0            | size      |
      | size=10000        | size      |
      | size=abc          | size      |
      | page=-1           | page      |
      | sort=isbn         | sort      |
      | sort=title,sideways | sort    |

  @serial
  Scenario: Reading the catalog again costs nothing when it has not changed
    Given a visitor has read the first page of the catalog
    When they read it again, saying which version they already have
    Then they are told nothing has changed, without the books being sent again
