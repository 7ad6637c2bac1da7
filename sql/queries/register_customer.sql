-- POST /register: insert the customer unless the phone number is taken. ON CONFLICT decides
-- under the unique index customers_phone_number_unique, so two registrations of one phone at
-- once give one row (the second waits for the first to commit, then inserts nothing). No
-- unique violation is raised, so PostgreSQL logs no failed INSERT with the customer's name and
-- phone number. Returns the new row, or no row when the phone number is taken.
-- current_debt takes its default (0): the loans triggers own it.
INSERT INTO customers (first_name, last_name, phone_number, age, monthly_salary, approved_limit)
VALUES (%(first_name)s, %(last_name)s, %(phone_number)s, %(age)s, %(monthly_salary)s,
        %(approved_limit)s)
    ON CONFLICT (phone_number) DO NOTHING
RETURNING customer_id, first_name, last_name, phone_number, age, monthly_salary, approved_limit,
          current_debt;
