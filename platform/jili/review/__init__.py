"""The period review (issue 14, item 8): attainment, ratings, incentive cost
against revenue, payout distribution, appeals and feedback volume of a quarter
or half-year, with charts and an XLSX export."""
