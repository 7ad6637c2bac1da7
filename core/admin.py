"""Read-mostly admin pages for operators; current_debt is shown, never edited."""

from django.contrib import admin

from core.models import Customer, Loan


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = (
        "customer_id",
        "first_name",
        "last_name",
        "age",
        "approved_limit",
        "current_debt",
    )
    search_fields = ("first_name", "last_name")
    readonly_fields = ("current_debt",)


@admin.register(Loan)
class LoanAdmin(admin.ModelAdmin):
    list_display = ("loan_id", "customer_id", "loan_amount", "interest_rate", "tenure", "is_active")
    list_filter = ("is_active",)
    raw_id_fields = ("customer",)
