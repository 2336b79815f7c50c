Feature: Signing in
  The shop's own sign-in service hands out passes (tokens) that say who someone is and what they may do.

  @smoke
  Scenario: A shopper's pass names them and their role
    When Ann signs in
    Then Ann's pass names her and says she is a customer, not an admin
    And the pass lasts 15 minutes

  Scenario: An admin's pass says so
    Then the admin's pass says they are an admin

  Scenario: A wrong password gets no pass
    When someone signs in as a shopper with the password "not-the-password"
    Then they are not signed in

  Scenario: A stranger gets no pass
    When someone signs in as "mallory"
    Then they are not signed in

  Scenario: A pass can be renewed
    Given Ann signs in
    When Ann renews her pass
    Then Ann gets a new pass that works

  Scenario: After signing out the pass cannot be renewed
    Given Ann signs in
    When Ann signs out
    And Ann renews her pass
    Then they are not signed in

  Scenario: Guessing passwords locks the name for a while
    When someone guesses the password of a shopper 5 times
    And that shopper then signs in with the right password
    Then they are told to wait before trying again
