# Reference values for tests/test_survival.py, test_landmark.py and test_competing.py.
#
# Reads tests/data/survival_<name>_input.csv (written by survival_inputs.py from a
# trial-schema dataset) and writes tests/data/survival_<name>_reference.json with
# every number at full precision (digits = NA), plus the R and package versions.
#
# Usage (repository root):  Rscript tests/reference/survival_reference.R gbsg
#                           Rscript tests/reference/survival_reference.R synthetic
#
# Conventions mirrored from the Python side: control coded 1 (HR control vs UC-MSC),
# Efron ties, KM intervals with conf.type = "log-log" (and "log" where stated),
# landmarks 13 months (OS) and 8 months (HCC), horizon 75 months (already applied
# in the input file).

suppressPackageStartupMessages({
  library(survival)
  library(cmprsk)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = TRUE)
name <- if (length(args)) args[1] else "gbsg"
infile <- file.path("tests", "data", paste0("survival_", name, "_input.csv"))
outfile <- file.path("tests", "data", paste0("survival_", name, "_reference.json"))
d <- read.csv(infile)
d$arm <- factor(d$arm, levels = c("control", "ucmsc"))

times <- c(12, 24, 36, 48, 60, 75)
# Converge the Cox fits well past R's default (eps = 1e-9 on the relative
# log-likelihood, which leaves coefficients accurate to ~1e-6 only), so that a
# 1e-6 relative comparison tests the estimator, not two stopping rules.
ctl <- coxph.control(eps = 1e-13, iter.max = 100)
landmarks <- c(os = 13, hcc = 8)
grid_landmarks <- c(5, 20)  # 5: an arm has no early events in the public dataset (edge case)

per_arm <- function(fit, fields) {
  # split a two-stratum survfit into a list per arm
  st <- rep(names(fit$strata), fit$strata)
  out <- list()
  for (a in levels(d$arm)) {
    k <- st == paste0("arm=", a)
    out[[a]] <- lapply(setNames(fields, fields), function(f) unname(fit[[f]][k]))
  }
  out
}

km_block <- function(time, event, conf.type) {
  fit <- survfit(Surv(time, event) ~ arm, data = d, conf.type = conf.type)
  s <- summary(fit, times = times, extend = FALSE)
  tab <- summary(fit)$table
  tab_r <- summary(fit, rmean = 75)$table
  sum_st <- as.character(s$strata)
  at <- list()
  for (a in levels(d$arm)) {
    k <- sum_st == paste0("arm=", a)
    at[[a]] <- list(time = s$time[k], n_risk = s$n.risk[k], surv = s$surv[k],
                    lower = s$lower[k], upper = s$upper[k], std_err = s$std.err[k])
  }
  list(
    table = per_arm(fit, c("time", "n.risk", "n.event", "n.censor", "surv", "std.err", "lower", "upper")),
    at = at,
    median = list(arm = levels(d$arm), median = unname(tab[, "median"]),
                  lcl = unname(tab[, "0.95LCL"]), ucl = unname(tab[, "0.95UCL"])),
    rmean = list(arm = levels(d$arm), rmean = unname(tab_r[, "rmean"]), se = unname(tab_r[, "se(rmean)"]))
  )
}

cox_coef <- function(fit, term = "control") {
  s <- summary(fit)$coefficients
  list(coef = unname(s[term, "coef"]), se = unname(s[term, "se(coef)"]), p = unname(s[term, "Pr(>|z|)"]))
}

sdiff <- function(f, data) {
  sd <- survdiff(f, data = data)
  list(chisq = sd$chisq, obs = unname(if (is.matrix(sd$obs)) rowSums(sd$obs) else sd$obs),
       exp = unname(if (is.matrix(sd$exp)) rowSums(sd$exp) else sd$exp))
}

zph_block <- function(fit, transform = "km", resid = FALSE) {
  z <- cox.zph(fit, transform = transform)
  out <- list(term = rownames(z$table), chisq = unname(z$table[, "chisq"]),
              df = unname(z$table[, "df"]), p = unname(z$table[, "p"]))
  if (resid) {
    out$time <- z$time
    out$x <- z$x
    out$y <- unname(z$y[, 1])
  }
  out
}

endpoint_block <- function(ep) {
  tcol <- paste0(ep, "_time"); ecol <- paste0(ep, "_event")
  d$time <- d[[tcol]]; d$event <- d[[ecol]]
  L <- landmarks[[ep]]
  unadj <- coxph(Surv(time, event) ~ control, data = d, ties = "efron", control = ctl)
  strat <- coxph(Surv(time, event) ~ control + strata(stratum), data = d, ties = "efron", control = ctl)
  adj <- coxph(Surv(time, event) ~ control + x1 + x2 + x3, data = d, ties = "efron", control = ctl)
  windows <- list()
  for (LL in c(L, grid_landmarks)) {
    early <- coxph(Surv(pmin(time, LL), event * (time <= LL)) ~ control, data = d, ties = "efron", control = ctl)
    dl <- subset(d, time > LL)
    late <- coxph(Surv(rep(LL, nrow(dl)), time, event) ~ control, data = dl, ties = "efron", control = ctl)
    d$te <- pmin(d$time, LL); d$ee <- d$event * (d$time <= LL); dl$tl <- dl$time - LL
    windows[[as.character(LL)]] <- list(
      landmark = LL,
      early = c(cox_coef(early), list(logrank_chisq = survdiff(Surv(te, ee) ~ arm, data = d)$chisq)),
      late = c(cox_coef(late), list(logrank_chisq = survdiff(Surv(tl, event) ~ arm, data = dl)$chisq),
               list(n = nrow(dl))),
      zph_late = zph_block(late)  # counting-process form (delayed entry at L)
    )
  }
  # time-varying effect: treatment x log(t) and a piecewise model split at L
  tt_fit <- coxph(Surv(time, event) ~ control + tt(control), data = d, ties = "efron",
                  tt = function(x, t, ...) x * log(t), control = ctl)
  ds <- survSplit(Surv(time, event) ~ ., data = d, cut = L, episode = "period")
  ds$c_early <- ds$control * (ds$period == 1); ds$c_late <- ds$control * (ds$period == 2)
  pw <- coxph(Surv(tstart, time, event) ~ c_early + c_late, data = ds, ties = "efron", control = ctl)
  pv <- vcov(pw); pb <- coef(pw)
  pw_p <- 2 * pnorm(-abs((pb[2] - pb[1]) / sqrt(pv[1, 1] + pv[2, 2] - 2 * pv[1, 2])))
  list(
    km_loglog = km_block(d$time, d$event, "log-log"),
    km_log = km_block(d$time, d$event, "log"),
    survdiff = sdiff(Surv(time, event) ~ arm, d),
    survdiff_strat = sdiff(Surv(time, event) ~ arm + strata(stratum), d),
    cox_unadjusted = cox_coef(unadj),
    cox_stratified = cox_coef(strat),
    cox_adjusted = cox_coef(adj),
    zph_unadjusted = zph_block(unadj, resid = TRUE),
    zph_unadjusted_identity = zph_block(unadj, transform = "identity"),
    zph_unadjusted_log = zph_block(unadj, transform = "log"),
    zph_unadjusted_rank = zph_block(unadj, transform = "rank"),
    zph_stratified = zph_block(strat),
    zph_adjusted = zph_block(adj),
    windows = windows,
    tt = list(coef = unname(coef(tt_fit)), se = unname(sqrt(diag(vcov(tt_fit))))),
    piecewise = list(coef = unname(pb), se = unname(sqrt(diag(pv))), p_interaction = unname(pw_p))
  )
}

# follow-up: reverse Kaplan-Meier on untruncated follow-up
fu <- survfit(Surv(os_time_full, 1 - os_event_full) ~ arm, data = d, conf.type = "log-log")
fu_tab <- summary(fu)$table
followup <- list(arm = levels(d$arm), median_reverse_km = unname(fu_tab[, "median"]),
                 lcl = unname(fu_tab[, "0.95LCL"]), ucl = unname(fu_tab[, "0.95UCL"]),
                 median_simple = unname(tapply(d$os_time_full, d$arm, median)))

# competing risks: cmprsk::cuminc (Aalen-Johansen estimate, Gray's variance, Gray's test)
ci <- cuminc(d$cr_time, d$cr_status, group = d$arm, cencode = 0)
ci_s <- cuminc(d$cr_time, d$cr_status, group = d$arm, strata = d$stratum, cencode = 0)
ci_rho <- cuminc(d$cr_time, d$cr_status, group = d$arm, rho = 1, cencode = 0)
cif <- list()
for (nm in names(ci)[names(ci) != "Tests"]) {
  cif[[nm]] <- list(time = ci[[nm]]$time, est = ci[[nm]]$est, var = ci[[nm]]$var)
}
tp <- timepoints(ci, times)
gray <- list(stat = unname(ci$Tests[, "stat"]), pv = unname(ci$Tests[, "pv"]),
             stat_strata = unname(ci_s$Tests[, "stat"]), pv_strata = unname(ci_s$Tests[, "pv"]),
             stat_rho1 = unname(ci_rho$Tests[, "stat"]))
cs <- coxph(Surv(cr_time, cr_status == 1) ~ control, data = d, ties = "efron", control = ctl)
cs2 <- coxph(Surv(cr_time, cr_status == 2) ~ control, data = d, ties = "efron", control = ctl)

out <- list(
  meta = list(
    dataset = name, input = infile, n = nrow(d),
    R = R.version.string,
    survival = as.character(packageVersion("survival")),
    cmprsk = as.character(packageVersion("cmprsk")),
    jsonlite = as.character(packageVersion("jsonlite")),
    generated_by = "tests/reference/survival_reference.R"
  ),
  os = endpoint_block("os"),
  hcc = endpoint_block("hcc"),
  followup = followup,
  cuminc = list(curves = cif, times = times,
                timepoints_est = unname(tp$est), timepoints_var = unname(tp$var),
                timepoints_rows = rownames(tp$est), gray = gray,
                cause_specific_hcc = cox_coef(cs), cause_specific_death = cox_coef(cs2))
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", pretty = TRUE), outfile)
cat("wrote", outfile, "\n")
