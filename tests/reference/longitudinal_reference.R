# Reference values for tests/test_longitudinal.py.
#
# Run from the repository root:
#   Rscript tests/reference/longitudinal_reference.R
#
# 1. Generates a small trial folder tests/data/longitudinal_trial/ (patients.csv,
#    labs.csv) with known structure: 2 x 40 analysed patients + 3 withdrawn,
#    four analytes at weeks 0, 12, 24, 48, deaths before weeks 24/48, random
#    dropouts, one patient with no post-baseline values and one patient with
#    a missing week-0 ALB.
# 2. Computes, with base R and nlme, the statistics that analysis.toolkit.longitudinal
#    must reproduce, and writes them at full precision to
#    tests/data/longitudinal_reference.json (with R and package versions).
suppressPackageStartupMessages({
  library(nlme)
  library(jsonlite)
})

out_dir <- "tests/data/longitudinal_trial"
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)
set.seed(20240611)

n_arm <- 40
arms <- rep(c("control", "ucmsc"), each = n_arm)
n <- length(arms)
ids <- sprintf("L%03d", seq_len(n))
weeks <- c(0, 12, 24, 48)
months_per_week <- 12 / 365.25 * 7

# deaths: 4 per arm, two before week 24 (about week 17) and two before week 48
os_months <- round(runif(n, 20, 70), 2)
death <- rep(0L, n)
dead_idx <- c(3, 9, 15, 22, 44, 51, 58, 66)
death[dead_idx] <- 1L
os_months[dead_idx] <- c(4.0, 4.5, 8.0, 9.5, 3.9, 4.6, 8.2, 10.0)

patients <- data.frame(
  patient_id = ids, arm = arms, disposition = "analyzed",
  randomized_on = format(as.Date("2011-01-01") + seq_len(n) * 7),
  age = round(runif(n, 25, 65)), sex = sample(c("M", "F"), n, TRUE, c(0.85, 0.15)),
  os_months = os_months, death = death, hcc_months = os_months, hcc = 0L,
  stringsAsFactors = FALSE
)
# three withdrawn patients with labs that must be ignored
wd <- data.frame(
  patient_id = sprintf("W%03d", 1:3), arm = c("control", "ucmsc", "ucmsc"),
  disposition = "withdrew", randomized_on = "2011-06-01", age = 50, sex = "M",
  os_months = NA, death = NA, hcc_months = NA, hcc = NA, stringsAsFactors = FALSE
)

trt <- as.integer(arms == "ucmsc")
# baseline: UC-MSC sicker on TBIL and CHE, as in the paper
base <- list(
  alb  = rnorm(n, 30, 6),
  pta  = rnorm(n, 62, 15),
  che  = exp(rnorm(n, log(3200) - 0.2 * trt, 0.45)),
  tbil = exp(rnorm(n, log(35) + 0.5 * trt, 0.7))
)
# post-baseline: baseline regression, visit trend, arm effect, correlated errors
gen <- function(b, log_scale, slope, trend, eff, sd) {
  y0 <- if (log_scale) log(b) else b
  m <- mean(y0)
  u <- rnorm(n, 0, sd * 0.8)  # patient effect -> within-patient correlation
  sapply(seq_along(weeks[-1]), function(j) {
    mu <- m + slope * (y0 - m) + trend[j] + eff[j] * trt
    y <- mu + u + rnorm(n, 0, sd * (0.6 + 0.2 * j))
    if (log_scale) exp(y) else y
  })
}
post <- list(
  alb  = gen(base$alb, FALSE, 0.6, c(1.0, 1.5, 2.0), c(0.5, 1.5, 2.5), 3),
  pta  = gen(base$pta, FALSE, 0.7, c(2.0, 3.0, 3.0), c(3.0, 4.0, 5.0), 8),
  che  = gen(base$che, TRUE, 0.7, c(0.05, 0.08, 0.10), c(0.05, 0.10, 0.10), 0.25),
  tbil = gen(base$tbil, TRUE, 0.7, c(-0.05, -0.10, -0.10), c(-0.10, -0.15, -0.20), 0.35)
)
digits <- c(alb = 1, pta = 1, che = 0, tbil = 1)
labs <- do.call(rbind, lapply(names(base), function(a) {
  v <- cbind(base[[a]], post[[a]])
  v <- round(v, digits[[a]])
  data.frame(patient_id = rep(ids, times = 4), week = rep(weeks, each = n),
             analyte = a, value = as.vector(v), stringsAsFactors = FALSE)
}))
for (a in names(base)) patients[[a]] <- round(base[[a]], digits[[a]])
# missingness: after death; dropouts (whole visits); one patient with no post values;
# a missing week-0 ALB (baseline unknown for ALB only)
visit_month <- labs$week * months_per_week
pat_row <- match(labs$patient_id, patients$patient_id)
after_death <- patients$death[pat_row] == 1 & visit_month > patients$os_months[pat_row]
labs <- labs[!after_death, ]
drop_visits <- data.frame(patient_id = ids[c(5, 12, 30, 41, 47, 70, 77)],
                          week = c(12, 48, 24, 48, 24, 12, 48))
key <- paste(labs$patient_id, labs$week)
labs <- labs[!key %in% paste(drop_visits$patient_id, drop_visits$week), ]
labs <- labs[!(labs$patient_id == ids[20] & labs$week > 0), ]
labs <- labs[!(labs$patient_id == ids[60] & labs$week == 0 & labs$analyte == "alb"), ]
patients$alb[60] <- NA
# a single missing analyte value at one visit
labs <- labs[!(labs$patient_id == ids[35] & labs$week == 24 & labs$analyte == "pta"), ]
wd_labs <- data.frame(patient_id = rep(wd$patient_id, each = 4), week = rep(weeks, 3),
                      analyte = "alb", value = 99, stringsAsFactors = FALSE)
for (a in names(base)) wd[[a]] <- if (a == "alb") 99 else NA
all_patients <- rbind(patients, wd[, names(patients)])
all_labs <- rbind(labs, wd_labs)
write.csv(all_patients, file.path(out_dir, "patients.csv"), row.names = FALSE, na = "")
write.csv(all_labs, file.path(out_dir, "labs.csv"), row.names = FALSE, na = "")

# ---------------------------------------------------------------------------
# Reference statistics (analysed patients only)
# ---------------------------------------------------------------------------
d <- merge(labs, patients[, c("patient_id", "arm")], by = "patient_id")
b <- d[d$week == 0, c("patient_id", "analyte", "value")]
names(b)[3] <- "baseline"
d <- merge(d, b, by = c("patient_id", "analyte"), all.x = TRUE)
log_analytes <- c("che", "tbil")
tf <- function(x, a, scale) if (scale == "log") log(x) else x

describe <- list(); paired <- list(); student <- list(); welch <- list()
for (a in names(base)) for (w in weeks) {
  for (arm in c("control", "ucmsc")) {
    x <- d$value[d$analyte == a & d$week == w & d$arm == arm]
    tt <- t.test(x)
    describe[[length(describe) + 1]] <- list(
      analyte = a, arm = arm, week = w, n = length(x), mean = mean(x), sd = sd(x),
      se = sd(x) / sqrt(length(x)), ci_low = tt$conf.int[1], ci_high = tt$conf.int[2],
      geo_mean = exp(mean(log(x))), geo_ci_low = exp(t.test(log(x))$conf.int[1]),
      geo_ci_high = exp(t.test(log(x))$conf.int[2]))
    if (w > 0) for (scale in c("raw", "log")) {
      s <- d[d$analyte == a & d$week == w & d$arm == arm & !is.na(d$baseline), ]
      pt <- t.test(tf(s$value, a, scale), tf(s$baseline, a, scale), paired = TRUE)
      paired[[length(paired) + 1]] <- list(
        analyte = a, arm = arm, week = w, scale = scale, n = nrow(s),
        estimate = unname(pt$estimate), ci_low = pt$conf.int[1], ci_high = pt$conf.int[2],
        statistic = unname(pt$statistic), df = unname(pt$parameter), p = pt$p.value)
    }
  }
  for (scale in c("raw", "log")) for (on in c("value", "change")) {
    s <- d[d$analyte == a & d$week == w, ]
    if (on == "change") {
      if (w == 0) next
      s <- s[!is.na(s$baseline), ]
      y <- tf(s$value, a, scale) - tf(s$baseline, a, scale)
    } else y <- tf(s$value, a, scale)
    for (ve in c(TRUE, FALSE)) {
      tt <- t.test(y[s$arm == "ucmsc"], y[s$arm == "control"], var.equal = ve)
      row <- list(analyte = a, week = w, scale = scale, on = on,
                  n_control = sum(s$arm == "control"), n_ucmsc = sum(s$arm == "ucmsc"),
                  estimate = unname(tt$estimate[1] - tt$estimate[2]),
                  ci_low = tt$conf.int[1], ci_high = tt$conf.int[2],
                  statistic = unname(tt$statistic), df = unname(tt$parameter), p = tt$p.value)
      if (ve) student[[length(student) + 1]] <- row else welch[[length(welch) + 1]] <- row
    }
  }
}

# MMRM: gls with unstructured correlation (corSymm) and visit-specific variances
# (varIdent), REML, visit-specific intercepts, treatment and baseline effects.
mmrm <- list(); ancova <- list(); sigma <- list()
for (a in names(base)) {
  scale <- if (a %in% log_analytes) "log" else "raw"
  s <- d[d$analyte == a & d$week > 0 & !is.na(d$baseline), ]
  s$y <- tf(s$value, a, scale)
  s$yb <- tf(s$baseline, a, scale)
  s$visit <- factor(s$week, levels = c(12, 24, 48))
  s$vi <- as.integer(s$visit)
  s$ucmsc <- as.integer(s$arm == "ucmsc")
  s <- s[order(s$patient_id, s$vi), ]
  # nlminb (nlme's default) stops on the flat REML surface a little short of the
  # optimum; BFGS with a tight relative tolerance gets closer. Keep the better fit.
  fits <- lapply(c("nlminb", "optim"), function(opt)
    gls(y ~ 0 + visit + visit:ucmsc + visit:yb, data = s,
        correlation = corSymm(form = ~ vi | patient_id),
        weights = varIdent(form = ~ 1 | visit), method = "REML",
        control = glsControl(opt = opt, optimMethod = "BFGS", tolerance = 1e-12,
                             msTol = 1e-15, maxIter = 1000, msMaxIter = 1000)))
  fit <- fits[[which.max(sapply(fits, logLik))]]
  cat(a, "logLik nlminb / BFGS:", sapply(fits, function(f) format(as.numeric(logLik(f)), digits = 15)), "\n")
  tt <- summary(fit)$tTable
  ci <- intervals(fit, which = "coef")$coef
  for (j in 1:3) {
    nm <- paste0("visit", c(12, 24, 48)[j], ":ucmsc")
    w <- c(12, 24, 48)[j]
    mmrm[[length(mmrm) + 1]] <- list(
      analyte = a, week = w, scale = scale,
      n_control = sum(s$week == w & s$ucmsc == 0), n_ucmsc = sum(s$week == w & s$ucmsc == 1),
      estimate = tt[nm, "Value"], se = tt[nm, "Std.Error"], statistic = tt[nm, "t-value"],
      p = tt[nm, "p-value"], ci_low = ci[nm, "lower"], ci_high = ci[nm, "upper"],
      df = fit$dims$N - fit$dims$p)
    sw <- s[s$week == w, ]
    lf <- lm(y ~ ucmsc + yb, data = sw)
    cf <- summary(lf)$coefficients
    ancova[[length(ancova) + 1]] <- list(
      analyte = a, week = w, scale = scale,
      n_control = sum(sw$ucmsc == 0), n_ucmsc = sum(sw$ucmsc == 1),
      estimate = cf["ucmsc", 1], se = cf["ucmsc", 2], statistic = cf["ucmsc", 3],
      p = cf["ucmsc", 4], ci_low = confint(lf)["ucmsc", 1], ci_high = confint(lf)["ucmsc", 2],
      df = lf$df.residual)
  }
  V <- getVarCov(fit, individual = s$patient_id[which(table(s$patient_id)[s$patient_id] == 3)[1]])
  sigma[[a]] <- list(scale = scale, matrix = unclass(V)[1:3, 1:3],
                     logLik = as.numeric(logLik(fit)),
                     n_patients = length(unique(s$patient_id)), n_obs = nrow(s))
}

res <- list(
  generated_by = "tests/reference/longitudinal_reference.R",
  r_version = R.version.string,
  packages = list(nlme = as.character(packageVersion("nlme")),
                  jsonlite = as.character(packageVersion("jsonlite"))),
  describe = describe, paired = paired, student = student, welch = welch,
  mmrm = mmrm, ancova = ancova, mmrm_covariance = sigma
)
writeLines(toJSON(res, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           "tests/data/longitudinal_reference.json")
cat("wrote", out_dir, "and tests/data/longitudinal_reference.json\n")
