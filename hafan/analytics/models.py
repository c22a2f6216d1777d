"""The analytics store (issue 8): one row per episode with every dimension and measure the dashboard, the impact
evaluation and the reports need, rebuilt from the episodes by `hafan analytics_refresh` (and the scheduler).

Read-only for everyone: pages never read episodes to count them, so the dashboard stays fast at national scale
(about 200,000 episodes a year for ten years). Rows name no child: `child_key` is an internal number, and the
benchmark fills the table with synthetic rows that have no episode at all."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

# The dimensions every summary is kept by (all the dashboard's filters but the school, which is too fine to
# summarise: a school filter reads the facts).
CUBE_DIMENSIONS = ("council", "care_status", "age_band", "sex", "grade", "placement_type")
# ... and each pair of them: the breakdowns of a page filtered by one value of one dimension (looked-after children
# by council, by grade...) count children by pair.
CUBE_PAIRS = tuple((a, b) for i, a in enumerate(CUBE_DIMENSIONS) for b in CUBE_DIMENSIONS[i + 1 :])


class EpisodeFact(models.Model):
    episode = models.OneToOneField(
        "episodes.Episode", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    episode_key = models.BigIntegerField(
        unique=True, help_text=_("The episode's id (synthetic in the benchmark).")
    )
    child_key = models.BigIntegerField(help_text=_("The hub identity's id; never shown."))
    reported_at = models.DateTimeField()
    reported_on = models.DateField(help_text=_("The local date of the report."))
    month = models.DateField(help_text=_("The first day of the report's month."))
    returned_at = models.DateTimeField(null=True, blank=True)
    duration_hours = models.FloatField(null=True, blank=True)
    category = models.CharField(
        max_length=24, help_text=_("Missing from home or care, or away from placement.")
    )
    council = models.CharField(max_length=16, blank=True, help_text=_("The responsible council's code."))
    school = models.CharField(max_length=100, blank=True)
    placement_type = models.CharField(max_length=24, blank=True)
    care_status = models.CharField(
        max_length=24, help_text=_("looked_after, child_protection, child_in_need or none, when reported.")
    )
    sex = models.CharField(max_length=8)
    age_years = models.PositiveSmallIntegerField(null=True, blank=True)
    age_band = models.CharField(max_length=8)
    grade = models.CharField(max_length=16, blank=True, help_text=_("The highest risk grade in the episode."))
    found_by = models.CharField(max_length=16, blank=True)
    found_council = models.CharField(max_length=16, blank=True)
    harm = models.BooleanField(null=True, blank=True)
    prior_episodes_365 = models.PositiveSmallIntegerField(
        default=0, help_text=_("The child's episodes in the year before this report.")
    )
    repeat = models.BooleanField(default=False, help_text=_("N episodes in D days when reported (settings)."))
    plan_in_force = models.BooleanField(default=False)
    debrief_status = models.CharField(max_length=16, blank=True)
    debrief_offered = models.BooleanField(default=False)
    debrief_held = models.BooleanField(default=False)
    debrief_held_in_time = models.BooleanField(default=False)
    hours_to_debrief = models.FloatField(null=True, blank=True)
    info_answer_minutes = models.FloatField(
        null=True,
        blank=True,
        help_text=_("The median time the agencies took to answer the information call."),
    )
    referrals = models.PositiveSmallIntegerField(default=0)
    # Worked out from the child's own sequence of facts (hafan.analytics.summaries.sequence_columns), so that the
    # distinct children of a period can be counted from the monthly summaries: a child's first fact in a period
    # is the one whose previous fact falls before the period.
    prev_reported_on = models.DateField(
        null=True, blank=True, help_text=_("The date of the child's previous episode.")
    )
    prev_repeat_on = models.DateField(
        null=True, blank=True, help_text=_("The date of the child's previous episode with the repeat flag.")
    )
    window_start_on = models.DateField(
        null=True,
        blank=True,
        help_text=_("The date of the first of N episodes within D days ending with this one (settings)."),
    )
    prev_window_on = models.DateField(
        null=True, blank=True, help_text=_("The window start of the child's previous such episode.")
    )
    sampled = models.BooleanField(
        default=False, help_text=_("One episode in 16, for medians estimated over very large periods.")
    )
    # The same for each breakdown: the child's previous episode with the same council (grade, age band...), and the
    # previous such episode with the repeat flag, so that children can be counted by council, grade... too.
    prev_same_council_on = models.DateField(null=True, blank=True)
    prev_same_grade_on = models.DateField(null=True, blank=True)
    prev_same_age_band_on = models.DateField(null=True, blank=True)
    prev_same_sex_on = models.DateField(null=True, blank=True)
    prev_same_care_status_on = models.DateField(null=True, blank=True)
    prev_same_placement_type_on = models.DateField(null=True, blank=True)
    prev_repeat_same_council_on = models.DateField(null=True, blank=True)
    prev_repeat_same_grade_on = models.DateField(null=True, blank=True)
    prev_repeat_same_age_band_on = models.DateField(null=True, blank=True)
    prev_repeat_same_sex_on = models.DateField(null=True, blank=True)
    prev_repeat_same_care_status_on = models.DateField(null=True, blank=True)
    prev_repeat_same_placement_type_on = models.DateField(null=True, blank=True)
    # ... and the window start of the previous N-in-D-days window completed with the same value.
    prev_window_same_council_on = models.DateField(null=True, blank=True)
    prev_window_same_grade_on = models.DateField(null=True, blank=True)
    prev_window_same_age_band_on = models.DateField(null=True, blank=True)
    prev_window_same_sex_on = models.DateField(null=True, blank=True)
    prev_window_same_care_status_on = models.DateField(null=True, blank=True)
    prev_window_same_placement_type_on = models.DateField(null=True, blank=True)
    refreshed_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["month", "council"], name="episode_fact_month_council"),
            models.Index(fields=["reported_on"], name="episode_fact_reported_on"),
            models.Index(fields=["child_key", "reported_at"], name="episode_fact_child_time"),
            # The ten-year trend counts distinct children per month from this index alone on PostgreSQL (2.3 s ->
            # 0.48 s at 2 million rows); other databases build it without the included columns.
            models.Index(
                fields=["month", "child_key"],
                include=["repeat", "reported_on"],
                name="episode_fact_month_child",
            ),
            # Exact corrections at a period's first, part month (hafan.analytics.summaries.children).
            models.Index(fields=["prev_reported_on"], name="episode_fact_prev"),
            models.Index(fields=["prev_repeat_on"], name="episode_fact_prev_repeat"),
            models.Index(fields=["window_start_on"], name="episode_fact_window"),
            models.Index(fields=["prev_window_on"], name="episode_fact_prev_window"),
            # The 1-in-16 sample the medians of very large periods are estimated from, read from the index alone
            # on PostgreSQL.
            models.Index(
                fields=["reported_on"],
                include=[
                    "duration_hours",
                    "hours_to_debrief",
                    "info_answer_minutes",
                    "council",
                    "care_status",
                    "age_band",
                    "sex",
                    "grade",
                    "placement_type",
                ],
                condition=models.Q(sampled=True),
                name="episode_fact_sample",
            ),
        ]

    def __str__(self) -> str:
        return f"Episode {self.episode_key} ({self.reported_on})"


for _first, _second in CUBE_PAIRS:
    for _kind in ("same", "repeat_same"):
        models.DateField(null=True, blank=True).contribute_to_class(
            EpisodeFact, f"prev_{_kind}_{_first}_and_{_second}_on"
        )


# The roll-ups MonthCube also holds, for pages with no dimension filter or one: all councils together ("total"), by
# one dimension, by each pair (the charts draw two; a page filtered by one dimension breaks down by the others), and
# by where children were found (alone and with each dimension).
CUBE_LEVELS = (
    "total",
    *CUBE_DIMENSIONS,
    *(f"{a},{b}" for a, b in CUBE_PAIRS),
    "found_council",
    *(f"{name},found_council" for name in CUBE_DIMENSIONS),
)


class MonthCube(models.Model):
    """The additive counts of EpisodeFact by month and every filter dimension but the school, kept by the refresh
    (hafan.analytics.summaries). Whole months of a period are summed from here; its part months from the facts.
    Rows with `level` "" hold every dimension; the roll-ups (CUBE_LEVELS) hold only the dimensions their level
    names (the others are blank), so a page without filters sums a few hundred rows, not half a million."""

    level = models.CharField(max_length=32, blank=True)
    month = models.DateField()
    council = models.CharField(max_length=16, blank=True)
    care_status = models.CharField(max_length=24)
    age_band = models.CharField(max_length=8)
    sex = models.CharField(max_length=8)
    grade = models.CharField(max_length=16, blank=True)
    placement_type = models.CharField(max_length=24, blank=True)
    found_council = models.CharField(
        max_length=16, blank=True, help_text=_("Only in the found_council roll-ups.")
    )
    episodes = models.IntegerField(default=0)
    repeat_episodes = models.IntegerField(default=0)
    still_missing = models.IntegerField(default=0)
    returned = models.IntegerField(default=0)
    band_0 = models.IntegerField(default=0)
    band_1 = models.IntegerField(default=0)
    band_2 = models.IntegerField(default=0)
    harm = models.IntegerField(default=0)
    harm_known = models.IntegerField(default=0)
    debriefs_due = models.IntegerField(default=0)
    debriefs_offered = models.IntegerField(default=0)
    debriefs_accepted = models.IntegerField(default=0)
    debriefs_held = models.IntegerField(default=0)
    debriefs_held_in_time = models.IntegerField(default=0)
    referrals = models.IntegerField(default=0)
    plan_in_force = models.IntegerField(default=0)
    found_home = models.IntegerField(default=0)
    found_known = models.IntegerField(default=0)
    found_unknown = models.IntegerField(default=0)
    found_by_police = models.IntegerField(default=0)
    found_by_carer = models.IntegerField(default=0)
    found_by_self = models.IntegerField(default=0)
    found_by_agency = models.IntegerField(default=0)
    found_by_public = models.IntegerField(default=0)
    found_by_unknown = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["level", "month"], name="month_cube_level_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.council} ({self.episodes})"


class MonthlyCount(models.Model):
    """Counts by month of the facts that are a child's first in a period, by the month of the previous one
    (`before_month`) and for windows the month the window starts (`from_month`): for all councils together, and by
    each value (`label`) of each dimension. Distinct children are sums of these."""

    CHILDREN, REPEAT_CHILDREN, WINDOW_CHILDREN = "children", "repeat", "window"

    kind = models.CharField(
        max_length=40,
        help_text=_("children, repeat, window, or one of those by a dimension (children:council...)."),
    )
    month = models.DateField()
    label = models.CharField(max_length=100, blank=True)
    label2 = models.CharField(
        max_length=100, blank=True, help_text=_("The second value, for a pair of dimensions.")
    )
    from_month = models.DateField(null=True, blank=True)
    before_month = models.DateField(null=True, blank=True)
    n = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["kind", "month"], name="monthly_count_kind_month")]

    def __str__(self) -> str:
        return f"{self.kind} {self.month:%Y-%m}: {self.n}"


class SummaryState(models.Model):
    """One row: when the summaries were last rebuilt, and from how many facts. Without it (facts written by hand,
    as some tests do) every figure is read from the facts."""

    built_at = models.DateTimeField()
    facts = models.BigIntegerField()

    def __str__(self) -> str:
        return f"Summaries of {self.facts} facts at {self.built_at:%Y-%m-%d %H:%M}"
