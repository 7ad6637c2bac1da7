COPY bare_loans FROM STDIN;
