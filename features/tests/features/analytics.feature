@serial
Feature: Analytics for the business
  Every order, book and stock change reaches the analytics views within seconds, and the views agree with the shop.
  These scenarios measure how quickly analytics follow the shop, so each runs alone (@serial): the 2-second promise
  is about a working shop, not one that 12 scenarios at a time are hammering on a 2-core machine.

  @smoke
  Scenario: A new order shows in the sales figures within 2 seconds
    Given the shop has a new book "Analytics Alpha" at 10.00 with 5 copies
    And Ann has bought 2 copies of "Analytics Alpha"
    Then within 2 seconds the sales figures show 2 copies of "Analytics Alpha" sold for 20.00

  Scenario: Sales count for the author
    Given the shop has a new book "Analytics Beta" by "Quinn Ledger" at 12.50 with 9 copies
    And Ann has bought 3 copies of "Analytics Beta"
    And Bob has bought 1 copy of "Analytics Beta"
    Then within 2 seconds the revenue of the author "Quinn Ledger" shows 4 copies sold for 50.00

  Scenario Outline: A book with <copies> copies is in <status> stock health
    Given the shop has a new book "Health <copies>" with <copies> copies
    Then within 2 seconds the stock health shows "Health <copies>" with <copies> in stock, status "<status>"

    Examples:
      | copies | status   |
      | 0      | Critical |
      | 1      | Low      |
      | 3      | Low      |
      | 4      | OK       |

  Scenario: A purchase lowers the stock health figures
    Given the shop has a new book "Analytics Gamma" with 6 copies
    And Ann has bought 4 copies of "Analytics Gamma"
    Then within 2 seconds the stock health shows "Analytics Gamma" with 2 in stock, status "Low"

  Scenario: A removed book leaves the analytics
    Given the shop has a new book "Analytics Fleeting" with 8 copies
    And within 2 seconds the stock health shows "Analytics Fleeting" with 8 in stock, status "OK"
    When the admin deletes "Analytics Fleeting"
    Then within 2 seconds the stock health no longer lists "Analytics Fleeting"

  Scenario: The order figures agree with the shop's orders
    Given Ann has bought 1 copy of "Clean Code"
    Then within 3 seconds the order figures in analytics match the shop's orders

  Scenario: The stock figures agree with the shop's stock
    Given Ann has bought 1 copy of "Domain-Driven Design"
    Then within 3 seconds the stock figures in analytics match the shop's stock

  Scenario: The analytics are fresh
    Given Ann has bought 1 copy of "Clean Code"
    When the admin asks how fresh the analytics are
    Then the analytics are less than 2 seconds behind the shop

  Scenario Outline: The view <view> is there with its columns
    Given Ann has bought 1 copy of "Microservices Patterns"
    Then within 2 seconds the view "<view>" has rows with the columns "<columns>"

    Examples:
      | view                         | columns                                                                  |
      | vw_product_sales_volume      | title, author, units_sold, revenue                                       |
      | vw_sales_over_time           | sale_date, order_count, daily_revenue                                    |
      | vw_revenue_by_author         | author, units_sold, revenue                                              |
      | vw_revenue_by_genre          | genre, units_sold, revenue                                               |
      | vw_order_status_distribution | status, order_count, total_revenue                                       |
      | vw_inventory_health          | title, author, stock_quantity, reserved, available, stock_status         |
      | vw_avg_order_value           | sale_date, order_count, avg_order_value, daily_revenue                   |
      | vw_top_books_by_revenue      | title, author, units_sold, total_revenue, revenue_rank                   |
      | vw_inventory_turnover        | title, author, current_stock, total_sold, turnover_rate_pct              |
      | vw_book_price_distribution   | price_range, book_count                                                  |

  Scenario: A view that does not exist
    When the admin opens the analytics view "vw_gossip"
    Then they are told it was not found
