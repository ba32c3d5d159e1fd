# Reference values for tests/test_consistency.py, from the published numbers
# (data/published/shi2021.yaml, read here, never typed) and from generic tables.
# Run from the repository root:
#   Rscript tests/reference/consistency_reference.R
# Writes tests/data/consistency_reference.json (full precision, with R and package versions).
#
# Independent of the Python code: t tests from summaries by the textbook formula
# with pt(); rounding-box extremes by brute-force search over an 11^4 grid of
# unrounded means and SDs (the grid contains the box corners); chisq.test and
# fisher.test on the counts; Wald p from the CI with pnorm (Altman & Bland 2011).
suppressPackageStartupMessages({library(jsonlite); library(yaml)})
pub <- yaml::read_yaml("data/published/shi2021.yaml")
# R yaml reads the key "n" as a YAML 1.1 boolean, so take the group sizes from the
# CONSORT block (test_consistency checks that the two agree).
n1 <- pub$consort$analyzed$control; n2 <- pub$consort$analyzed$ucmsc

t_p <- function(m1, s1, m2, s2, equal) {
  if (equal) {
    sp <- sqrt(((n1 - 1) * s1^2 + (n2 - 1) * s2^2) / (n1 + n2 - 2))
    t <- (m2 - m1) / (sp * sqrt(1 / n1 + 1 / n2)); df <- n1 + n2 - 2
  } else {
    a <- s1^2 / n1; b <- s2^2 / n2
    t <- (m2 - m1) / sqrt(a + b); df <- (a + b)^2 / (a^2 / (n1 - 1) + b^2 / (n2 - 1))
  }
  2 * pt(-abs(t), df)
}
half <- function(d) 0.5 * 10^(-d)
rows <- list()
for (r in pub$table1$rows) {
  if (r$kind == "mean_sd") {
    d1 <- r$decimals; d2 <- if (!is.null(r$decimals_by_arm$ucmsc)) r$decimals_by_arm$ucmsc else r$decimals
    c1 <- r$control; c2 <- r$ucmsc
    g <- expand.grid(
      m1 = seq(c1$mean - half(d1$mean), c1$mean + half(d1$mean), length.out = 11),
      s1 = seq(c1$sd - half(d1$sd), c1$sd + half(d1$sd), length.out = 11),
      m2 = seq(c2$mean - half(d2$mean), c2$mean + half(d2$mean), length.out = 11),
      s2 = seq(c2$sd - half(d2$sd), c2$sd + half(d2$sd), length.out = 11))
    ps <- t_p(g$m1, g$s1, g$m2, g$s2, TRUE)
    rows[[r$variable]] <- list(kind = r$kind,
      p_student = t_p(c1$mean, c1$sd, c2$mean, c2$sd, TRUE),
      p_welch = t_p(c1$mean, c1$sd, c2$mean, c2$sd, FALSE),
      p_student_grid_min = min(ps), p_student_grid_max = max(ps))
  } else if (r$kind == "counts") {
    lv <- as.character(r$levels)
    tab <- rbind(unlist(r$control[lv]), unlist(r$ucmsc[lv]))
    out <- list(kind = r$kind, p_chisq = chisq.test(tab, correct = FALSE)$p.value,
                p_fisher = fisher.test(tab)$p.value)
    if (ncol(tab) == 2) out$p_chisq_yates <- chisq.test(tab, correct = TRUE)$p.value
    rows[[r$variable]] <- out
  } else if (r$kind == "median_range") {
    # Hozo (2005) mean, Wan (2014) SD from median and range, then Student t
    est <- function(s, n) c((s$min + 2 * s$median + s$max) / 4,
                            (s$max - s$min) / (2 * qnorm((n - 0.375) / (n + 0.25))))
    e1 <- est(r$control, n1); e2 <- est(r$ucmsc, n2)
    rows[[r$variable]] <- list(kind = r$kind, mean_control = e1[1], sd_control = e1[2],
      mean_ucmsc = e2[1], sd_ucmsc = e2[2], p_student = t_p(e1[1], e1[2], e2[1], e2[2], TRUE))
  }
}
hrs <- list()
for (k in names(pub$hazard_ratios)) {
  h <- pub$hazard_ratios[[k]]
  # a landmark hazard ratio (`part`) is named by its endpoint's landmark time, as the loader does
  # (analysis.trial.published): os.landmark.early -> os.landmark13.early
  if (!is.null(h$part)) k <- sprintf("%s.landmark%d.%s", h$endpoint, as.integer(pub$landmarks[[h$endpoint]]), h$part)
  se <- (log(h$ci_high) - log(h$ci_low)) / (2 * qnorm(0.975))
  z <- log(h$hr) / se
  hrs[[k]] <- list(se = se, z = z, p = 2 * pnorm(-abs(z)), midpoint = sqrt(h$ci_low * h$ci_high),
                   events = 4 / se^2)
}
# Generic 2 x k tables for the Freeman-Halton test
generic <- list(
  list(table = list(c(3, 1, 4), c(1, 5, 2))),
  list(table = list(c(10, 0, 2, 7), c(3, 6, 4, 1))),
  list(table = list(c(20, 73, 18), c(14, 68, 26))))
for (i in seq_along(generic)) {
  tab <- do.call(rbind, generic[[i]]$table)
  generic[[i]]$p_fisher <- fisher.test(tab)$p.value
  generic[[i]]$p_chisq <- suppressWarnings(chisq.test(tab, correct = FALSE))$p.value
}
res <- list(generated_by = "tests/reference/consistency_reference.R", r_version = R.version.string,
            packages = list(yaml = as.character(packageVersion("yaml")), jsonlite = as.character(packageVersion("jsonlite"))),
            table1 = rows, hazard_ratios = hrs, fisher_2xk = generic)
writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, pretty = TRUE), "tests/data/consistency_reference.json")
