-- The ten books of the upstream demo, with fixed ids so the inventory seed, tests and demos can name them.
-- A migration runs once, so a seed book an admin deletes stays deleted.
INSERT INTO books (id, title, author, price, description, genre, isbn, published_year) VALUES
    ('00000000-0000-0000-0000-000000000001', 'The Pragmatic Programmer', 'David Thomas, Andrew Hunt', 49.99, 'Your journey to mastery: pragmatic advice on craft, career and code that lasts.', 'Software Engineering', '978-0135957059', 2019),
    ('00000000-0000-0000-0000-000000000002', 'Clean Code', 'Robert C. Martin', 39.99, 'A handbook of agile software craftsmanship.', 'Software Engineering', '978-0132350884', 2008),
    ('00000000-0000-0000-0000-000000000003', 'Designing Data-Intensive Applications', 'Martin Kleppmann', 59.99, 'The big ideas behind reliable, scalable and maintainable systems.', 'Systems Design', '978-1449373320', 2017),
    ('00000000-0000-0000-0000-000000000004', 'Domain-Driven Design', 'Eric Evans', 54.99, 'Tackling complexity in the heart of software.', 'Software Architecture', '978-0321125217', 2003),
    ('00000000-0000-0000-0000-000000000005', 'Microservices Patterns', 'Chris Richardson', 44.99, 'With examples in Java.', 'Software Architecture', '978-1617294549', 2018),
    ('00000000-0000-0000-0000-000000000006', 'Kubernetes in Action', 'Marko Luksa', 64.99, 'Deploying and managing containerised applications with Kubernetes.', 'DevOps', '978-1617293726', 2017),
    ('00000000-0000-0000-0000-000000000007', 'Spring in Action', 'Craig Walls', 49.99, 'Building applications with the Spring framework.', 'Java', '978-1617297571', 2022),
    ('00000000-0000-0000-0000-000000000008', 'Learning Python', 'Mark Lutz', 69.99, 'Powerful object-oriented programming.', 'Python', '978-1449355739', 2013),
    ('00000000-0000-0000-0000-000000000009', 'Site Reliability Engineering', 'Betsy Beyer, Chris Jones, Jennifer Petoff, Niall Richard Murphy', 59.99, 'How Google runs production systems.', 'DevOps', '978-1491929124', 2016),
    ('00000000-0000-0000-0000-000000000010', 'Kafka: The Definitive Guide', 'Gwen Shapira, Todd Palino, Rajini Sivaram, Krit Petty', 54.99, 'Real-time data and stream processing at scale.', 'Data Engineering', '978-1492043089', 2021)
ON CONFLICT DO NOTHING;
