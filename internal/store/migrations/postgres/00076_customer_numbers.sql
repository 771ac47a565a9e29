-- +goose Up
-- A customer's further contact numbers (administration, issue 15): a
-- landline besides the mobile, a second mobile. The IVR and the desk know
-- the customer by any of them as by customers.ani. A number belongs to one
-- customer: administration also keeps it apart from every customers.ani.
CREATE TABLE customer_numbers (
    number      TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL -- the order administration lists them in
);
CREATE INDEX customer_numbers_customer ON customer_numbers (customer_id);

-- +goose Down
DROP TABLE customer_numbers;
