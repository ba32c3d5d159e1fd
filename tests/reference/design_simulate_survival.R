# Reference values for the vectorised trial statistics of analysis.toolkit.simulate
# (tests/test_simulate.py), computed with R's survival package.
#
# Input: tests/data/design_sim_trials.csv (8 simulated trials of 80 patients; trials 4-7
# have times rounded up to whole months, so many ties). Regenerate (not run on CI):
#   Rscript tests/reference/design_simulate_survival.R > tests/data/design_simulate_survival.json
suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})
d <- read.csv("tests/data/design_sim_trials.csv")
d$arm <- factor(d$arm, levels = c("control", "treatment"))
landmark <- 13
tau <- 36
out <- list()
for (k in sort(unique(d$trial))) {
  x <- d[d$trial == k, ]
  sd <- survdiff(Surv(time, event) ~ arm, data = x)
  lm <- survdiff(Surv(time - landmark, event) ~ arm, data = x, subset = time > landmark)
  fit <- survfit(Surv(time, event) ~ arm, data = x)
  tab <- summary(fit, rmean = tau)$table
  out[[length(out) + 1]] <- list(
    trial = k,
    chisq = sd$chisq,
    o_minus_e_control = sd$obs[1] - sd$exp[1],
    var = sd$var[1, 1],
    landmark = landmark,
    landmark_chisq = lm$chisq,
    landmark_o_minus_e_control = lm$obs[1] - lm$exp[1],
    landmark_n = sum(x$time > landmark),
    tau = tau,
    rmst_control = tab["arm=control", "rmean"],
    rmst_treatment = tab["arm=treatment", "rmean"],
    se_rmst_control = tab["arm=control", "se(rmean)"],
    se_rmst_treatment = tab["arm=treatment", "se(rmean)"]
  )
}
res <- list(
  generated_by = "tests/reference/design_simulate_survival.R",
  r_version = R.version.string,
  survival_version = as.character(packageVersion("survival")),
  calls = c(
    "survdiff(Surv(time, event) ~ arm, data = x)",
    "survdiff(Surv(time - 13, event) ~ arm, data = x, subset = time > 13)",
    "summary(survfit(Surv(time, event) ~ arm, data = x), rmean = 36)$table[, c('rmean', 'se(rmean)')]"
  ),
  trials = out
)
cat(toJSON(res, auto_unbox = TRUE, digits = I(15), pretty = TRUE))
cat("\n")
