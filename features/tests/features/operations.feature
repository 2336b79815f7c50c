Feature: Running the shop
  Operators and their tools check that the shop is alive and ready, read its metrics and its API description,
  and every error comes back as a problem report.

  @smoke
  Scenario: The shop is alive and ready
    When an operator checks "/healthz"
    Then the store says it is alive
    When an operator checks "/readyz"
    Then the store says it is ready

  Scenario: Metrics count requests by route
    Given a visitor has read the first page of the catalog
    When a visitor opens the book "Clean Code"
    And an operator checks "/metrics"
    Then the metrics count requests to "/ecom/books/{id}" by route, not by book

  Scenario Outline: The API description lists <path>
    When an operator checks "/openapi.json"
    Then the API description lists "<path>"

    Examples:
      | path                   |
      | /ecom/books            |
      | /ecom/books/search     |
      | /ecom/cart             |
      | /ecom/checkout         |
      | /ecom/admin/books      |
      | /inven/stock/bulk      |

  Scenario: An address the shop does not know
    When an operator checks "/no/such/thing"
    Then the answer is a problem report with status 404

  Scenario: Deleting the whole catalog is not a thing
    When a visitor asks to delete the whole catalog
    Then the answer is a problem report with status 405
