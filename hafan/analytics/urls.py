from django.urls import path

from hafan.analytics import chart_views, impact_views, report_views, views

app_name = "analytics"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    # The measures shown on the dashboard, as CSV (issue 8): small numbers suppressed.
    path("measures.csv", views.measures_csv, name="measures_csv"),
    # The charts (issue 8, item 2): every chart on one page, and each chart's figures as CSV.
    path("charts/", chart_views.charts, name="charts"),
    path("charts/<slug:chart_id>.csv", chart_views.chart_csv, name="chart_csv"),
    # The impact evaluation (issue 8, item 3): the matched comparison and the interrupted time series.
    path("impact/", impact_views.impact_page, name="impact"),
    path("impact/trend/", impact_views.impact_trend, name="impact_trend"),
    path("impact/trend.csv", impact_views.impact_trend_csv, name="impact_trend_csv"),
    # The quarterly partnership report (issue 8, item 4): PDF (English or Welsh), CSV and XLSX, e.g. 2026-q3.
    path("reports/", report_views.reports, name="reports"),
    path("reports/<str:quarter>.pdf", report_views.report_pdf, name="report_pdf"),
    path("reports/<str:quarter>.csv", report_views.report_csv_download, name="report_csv"),
    path("reports/<str:quarter>.xlsx", report_views.report_xlsx_download, name="report_xlsx"),
]
