# Reference values for tests/test_design.py, computed with rpact.
#
# Regenerate (needs R with rpact and jsonlite; not run on CI):
#   Rscript tests/reference/design_rpact.R > tests/data/design_rpact.json
#
# Each case is one call of getSampleSizeSurvival / getPowerSurvival /
# getEventProbabilities; its inputs are written next to the outputs so that the
# Python test builds the same design from the JSON alone. Hazards are per month;
# dropout is given as rpact's dropoutRate by dropoutTime (the test converts it
# with -log(1 - rate) / time). Full precision (digits = 15).
suppressPackageStartupMessages({
  library(rpact)
  library(jsonlite)
})

lam <- function(s, t) -log(s) / t

# ---------------------------------------------------------------------------
# Sample size (Schoenfeld and Freedman) with accrual, follow-up, dropout, allocation
# ---------------------------------------------------------------------------
ss_cases <- list(
  list(id = "paper_total_duration", lambda2 = lam(0.60, 60), hr = lam(0.85, 60) / lam(0.60, 60),
       accrualTime = c(0, 40), accrualIntensity = 0.1, followUpTime = 35,
       alloc = 1, dropoutRate1 = 0, dropoutRate2 = 0, dropoutTime = 12, alpha = 0.05, sided = 2, beta = 0.2),
  list(id = "paper_minimum_follow_up", lambda2 = lam(0.60, 60), hr = lam(0.85, 60) / lam(0.60, 60),
       accrualTime = c(0, 40), accrualIntensity = 0.1, followUpTime = 75,
       alloc = 1, dropoutRate1 = 0, dropoutRate2 = 0, dropoutTime = 12, alpha = 0.05, sided = 2, beta = 0.2),
  list(id = "dropout_unequal_alloc", lambda2 = log(2) / 12, hr = 0.7,
       accrualTime = c(0, 24), accrualIntensity = 0.1, followUpTime = 12,
       alloc = 2, dropoutRate1 = 0.05, dropoutRate2 = 0.10, dropoutTime = 12, alpha = 0.05, sided = 2, beta = 0.1),
  list(id = "piecewise_accrual_one_sided", lambda2 = 0.02, hr = 0.6,
       accrualTime = c(0, 6, 30), accrualIntensity = c(0.2, 0.6), followUpTime = 18,
       alloc = 0.5, dropoutRate1 = 0.02, dropoutRate2 = 0.02, dropoutTime = 12, alpha = 0.025, sided = 1, beta = 0.2)
)

ss_out <- list()
for (cs in ss_cases) {
  for (meth in c("Schoenfeld", "Freedman")) {
    x <- getSampleSizeSurvival(
      alpha = cs$alpha, sided = cs$sided, beta = cs$beta,
      lambda2 = cs$lambda2, hazardRatio = cs$hr,
      accrualTime = cs$accrualTime, accrualIntensity = cs$accrualIntensity,
      followUpTime = cs$followUpTime, allocationRatioPlanned = cs$alloc,
      dropoutRate1 = cs$dropoutRate1, dropoutRate2 = cs$dropoutRate2, dropoutTime = cs$dropoutTime,
      typeOfComputation = meth
    )
    e <- getEventProbabilities(
      time = max(cs$accrualTime) + cs$followUpTime, accrualTime = cs$accrualTime,
      accrualIntensity = cs$accrualIntensity, lambda2 = cs$lambda2, hazardRatio = cs$hr,
      allocationRatioPlanned = cs$alloc, dropoutRate1 = cs$dropoutRate1,
      dropoutRate2 = cs$dropoutRate2, dropoutTime = cs$dropoutTime, maxNumberOfSubjects = 1000
    )
    ss_out[[length(ss_out) + 1]] <- c(cs, list(
      method = tolower(meth),
      n_total = x$maxNumberOfSubjects,
      events = x$maxNumberOfEvents,
      analysis_time = x$analysisTime[1, 1],
      prob_event_treatment = e$eventProbabilities1,
      prob_event_control = e$eventProbabilities2
    ))
  }
}

# ---------------------------------------------------------------------------
# Power for a given number of patients: rpact's power is event-driven, so we give it
# the expected events at the planned analysis and check that its analysis time
# is the planned one.
# ---------------------------------------------------------------------------
pw_cases <- list(
  list(id = "paper_100_per_arm_total", n = 200, lambda2 = lam(0.60, 60), hr = lam(0.85, 60) / lam(0.60, 60),
       accrualTime = c(0, 40), followUpTime = 35, alloc = 1, dropoutRate1 = 0, dropoutRate2 = 0,
       dropoutTime = 75, alpha = 0.05, sided = 2),
  list(id = "paper_125_per_arm_observed_dropout", n = 250, lambda2 = lam(0.60, 60), hr = lam(0.85, 60) / lam(0.60, 60),
       accrualTime = c(0, 40), followUpTime = 35, alloc = 1, dropoutRate1 = 17 / 125, dropoutRate2 = 14 / 125,
       dropoutTime = 75, alpha = 0.05, sided = 2),
  list(id = "modest_effect", n = 300, lambda2 = log(2) / 24, hr = 0.75,
       accrualTime = c(0, 30), followUpTime = 24, alloc = 1, dropoutRate1 = 0.05, dropoutRate2 = 0.05,
       dropoutTime = 12, alpha = 0.05, sided = 2)
)
pw_out <- list()
for (cs in pw_cases) {
  T <- max(cs$accrualTime) + cs$followUpTime
  e <- getEventProbabilities(
    time = T, accrualTime = cs$accrualTime, lambda2 = cs$lambda2, hazardRatio = cs$hr,
    allocationRatioPlanned = cs$alloc, dropoutRate1 = cs$dropoutRate1, dropoutRate2 = cs$dropoutRate2,
    dropoutTime = cs$dropoutTime, maxNumberOfSubjects = cs$n
  )
  d <- e$overallEventProbabilities * cs$n
  y <- getPowerSurvival(
    alpha = cs$alpha, sided = cs$sided, lambda2 = cs$lambda2, hazardRatio = cs$hr,
    accrualTime = cs$accrualTime, maxNumberOfSubjects = cs$n, maxNumberOfEvents = d,
    allocationRatioPlanned = cs$alloc, dropoutRate1 = cs$dropoutRate1, dropoutRate2 = cs$dropoutRate2,
    dropoutTime = cs$dropoutTime
  )
  pw_out[[length(pw_out) + 1]] <- c(cs, list(
    events = d, power = y$overallReject, analysis_time = y$analysisTime[1, 1]
  ))
}

# ---------------------------------------------------------------------------
# Expected events by calendar time: piecewise accrual, piecewise-exponential hazards,
# non-proportional hazards (no effect before 13 months, HR 1/3.68 after), dropout.
# ---------------------------------------------------------------------------
ev_cases <- list(
  list(id = "nph_landmark13", times = c(6, 13, 20, 40, 60, 75, 115),
       accrualTime = c(0, 40), accrualIntensity = 0.1, piecewiseSurvivalTime = c(0, 13),
       lambda2 = rep(lam(0.60, 60), 2), lambda1 = c(lam(0.60, 60) / 0.97, lam(0.60, 60) / 3.68),
       dropoutRate1 = 0.1, dropoutRate2 = 0.08, dropoutTime = 75, alloc = 1, n = 250),
  list(id = "piecewise_all", times = c(3, 10, 25, 36, 50),
       accrualTime = c(0, 4, 12, 30), accrualIntensity = c(0.1, 0.4, 0.9), piecewiseSurvivalTime = c(0, 6, 18),
       lambda2 = c(0.05, 0.03, 0.01), lambda1 = c(0.04, 0.015, 0.02),
       dropoutRate1 = 0.05, dropoutRate2 = 0.15, dropoutTime = 12, alloc = 1.5, n = 400)
)
ev_out <- list()
for (cs in ev_cases) {
  e <- getEventProbabilities(
    time = cs$times, accrualTime = cs$accrualTime, accrualIntensity = cs$accrualIntensity,
    piecewiseSurvivalTime = cs$piecewiseSurvivalTime, lambda2 = cs$lambda2, lambda1 = cs$lambda1,
    allocationRatioPlanned = cs$alloc, dropoutRate1 = cs$dropoutRate1, dropoutRate2 = cs$dropoutRate2,
    dropoutTime = cs$dropoutTime, maxNumberOfSubjects = cs$n
  )
  ev_out[[length(ev_out) + 1]] <- c(cs, list(
    events = e$overallEventProbabilities * cs$n,
    prob_event_treatment = e$eventProbabilities1,
    prob_event_control = e$eventProbabilities2
  ))
}

out <- list(
  generated_by = "tests/reference/design_rpact.R",
  r_version = R.version.string,
  rpact_version = as.character(packageVersion("rpact")),
  conventions = paste(
    "Group 1 is the treatment arm, group 2 the control arm; hazardRatio = lambda1 / lambda2;",
    "allocationRatioPlanned = n1 / n2; dropoutRate by dropoutTime; two-sided power counts both tails."
  ),
  sample_size = ss_out,
  power = pw_out,
  expected_events = ev_out
)
cat(toJSON(out, auto_unbox = TRUE, digits = I(15), pretty = TRUE))
cat("\n")
