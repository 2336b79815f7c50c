Feature: Who may do what
  Browsing is open to everyone. The cart, checkout and orders need a signed-in shopper; the admin console needs an
  admin. Anything else is refused: not signed in means "sign in first", the wrong role means "not for you".

  Scenario Outline: A visitor must sign in to <action>
    When a visitor who has not signed in tries to <action>
    Then they are asked to sign in

    Examples:
      | action                              |
      | look at their cart                  |
      | add a book to their cart            |
      | change a cart line                  |
      | remove a cart line                  |
      | check out                           |
      | look at their orders                |
      | open an order                       |
      | list the books of the admin console |
      | add a book to the catalog           |
      | edit a book                         |
      | delete a book                       |
      | list all orders                     |
      | list the stock                      |
      | set a book's stock                  |
      | adjust a book's stock               |
      | look at the sales figures           |
      | ask how fresh the analytics are     |

  Scenario Outline: A shopper cannot <action>
    When Ann, a shopper, tries to <action>
    Then they are refused

    Examples:
      | action                              |
      | list the books of the admin console |
      | open a book in the admin console    |
      | add a book to the catalog           |
      | edit a book                         |
      | delete a book                       |
      | list all orders                     |
      | open anyone's order                 |
      | list the stock                      |
      | set a book's stock                  |
      | adjust a book's stock               |
      | look at the sales figures           |
      | ask how fresh the analytics are     |

  Scenario Outline: An admin who is not a customer cannot <action>
    When a clerk who may only administer tries to <action>
    Then they are refused

    Examples:
      | action                   |
      | look at their cart       |
      | add a book to their cart |
      | check out                |
      | look at their orders     |

  @smoke
  Scenario Outline: An admin can <action>
    When the admin goes to <action>
    Then they are let in

    Examples:
      | action                              |
      | list the books of the admin console |
      | list all orders                     |
      | list the stock                      |
      | look at the sales figures           |

  @smoke
  Scenario: A shopper can look at their own cart
    When Ann, a shopper, tries to look at their cart
    Then they are let in

  Scenario Outline: A forged or broken pass is turned away: <forgery>
    When someone tries to look at Ann's cart with <forgery>
    Then they are asked to sign in

    Examples:
      | forgery                                                     |
      | her token with the roles edited to admin                    |
      | an unsigned token                                           |
      | a token signed with the issuer's public key as a shared secret |
      | a token naming a key the issuer never had                   |
      | her token cut short                                         |
      | a made-up token                                             |
      | her password instead of a token                             |
      | her refresh token                                           |
      | an empty bearer token                                       |
