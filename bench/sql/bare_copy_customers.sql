COPY bare_customers FROM STDIN;
