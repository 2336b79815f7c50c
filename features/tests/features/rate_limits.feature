Feature: Rate limits
  Every client of the shop — a signed-in person, or else a visitor's address — has a budget of requests per
  minute in each area of the shop: the catalog, the cart, checkout, administration and analytics. Past the budget
  the client is asked to slow down and told when to retry; signing in and the health checks are never limited.
  These scenarios use a shop of their own with small budgets a minute: catalog 5, cart 4, checkout 2, admin 3,
  analytics 3.

  @smoke
  Scenario: A visitor who browses too fast is asked to slow down
    Given a shop that allows 5 catalog requests a minute per visitor
    When a visitor browses the catalog 6 times in a row
    Then the first 5 times they are served
    And the 6th time they are asked to slow down and told when to retry

  Scenario Outline: Past the <area> budget the next request is refused with a retry hint
    Given a shop that allows <budget> <area> requests a minute per client
    When <someone does something> <budget + 1> times in a row
    Then the first <budget> times they are served
    And the <budget + 1>th time they are asked to slow down and told when to retry

    Examples:
      | area      | budget | someone does something                  | budget + 1 |
      | catalog   | 5      | a visitor looks up the stock of a book  | 6          |
      | catalog   | 5      | Ann browses the catalog                 | 6          |
      | cart      | 4      | Ann looks at her cart                   | 5          |
      | admin     | 3      | the admin lists the shop's orders       | 4          |
      | analytics | 3      | the admin reads the analytics freshness | 4          |

  Scenario: Another shopper keeps their own budget
    Given a shop that allows 4 cart requests a minute per shopper
    When Ann looks at her cart 5 times in a row
    Then the 5th time she is asked to slow down and told when to retry
    When Bob looks at his cart 4 times in a row
    Then the first 4 times he is served

  Scenario: Another visitor keeps their own budget
    Given a shop that allows 5 catalog requests a minute per visitor
    When a visitor browses the catalog 6 times in a row
    Then the 6th time they are asked to slow down and told when to retry
    When another visitor browses the catalog 5 times in a row
    Then the first 5 times they are served

  Scenario Outline: Using up the <spent> budget leaves the <other> budget untouched
    Given a shop that allows <spent budget> <spent> requests a minute per shopper
    And a shop that allows <other budget> <other> requests a minute per shopper
    When Ann <spends> <spent budget + 1> times in a row
    Then the <spent budget + 1>th time she is asked to slow down and told when to retry
    When Ann <then does> <other budget> times in a row
    Then the first <other budget> times she is served

    Examples:
      | spent   | spent budget | spends                | spent budget + 1 | other   | other budget | then does             |
      | cart    | 4            | looks at her cart     | 5                | catalog | 5            | browses the catalog   |
      | catalog | 5            | browses the catalog   | 6                | cart    | 4            | looks at her cart     |

  Scenario Outline: Signing in, form tokens and health checks are never limited: <someone does something>
    Given a shop that allows 5 catalog requests a minute per visitor
    When <someone does something> 12 times in a row
    Then none of those times they are asked to slow down

    Examples:
      | someone does something                  |
      | Ann signs in                            |
      | Ann fetches a form token                |
      | a visitor checks that the shop is alive |
      | a visitor checks that the shop is ready |

  Scenario: A shopper who checks out too often is asked to slow down and keeps her cart
    Given a shop that allows 2 checkouts a minute per shopper
    When Ann buys "Clean Code" 3 times in a row
    Then the first 2 times she is served
    And the 3rd time she is asked to slow down and told when to retry
    And Ann's cart still holds 1 copy of "Clean Code"

  @redis
  Scenario: Two servers sharing one budget store count one budget, not one each
    Given two shop servers that share one budget store allowing 4 cart requests a minute per shopper
    When a new shopper looks at their cart 6 times, alternating between the servers
    Then the first 4 times they are served
    And the 5th time they are asked to slow down and told when to retry
