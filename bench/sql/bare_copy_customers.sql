COPY bare_customers (customer_id, first_name, last_name, age, phone_number, monthly_salary,
                     approved_limit)
FROM STDIN;
