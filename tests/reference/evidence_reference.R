# Reference values for tests/test_evidence.py (analysis.toolkit.evidence), from base R only.
# Run from the repository root:  Rscript tests/reference/evidence_reference.R
# Writes tests/data/evidence_reference.json (R version recorded in it).
#
# - fisher.test(...)$p.value for 2x2 tables given as events / patients per arm;
# - the (reverse) fragility index by enumeration with fisher.test: the fewest patients of one arm
#   whose event status changes (both arms, both directions) for p to cross alpha = 0.05;
# - the conjugate normal posterior of a log hazard ratio from an HR, its 95% CI and a normal prior.

tables <- list(c(0, 10, 5, 10), c(3, 40, 12, 40), c(7, 30, 7, 30), c(15, 60, 5, 58), c(10, 25, 2, 25),
               c(1, 8, 6, 9), c(20, 100, 9, 100), c(2, 12, 3, 11), c(30, 150, 18, 148), c(12, 80, 25, 82))

fisher_p <- function(e1, n1, e2, n2) fisher.test(matrix(c(e1, n1 - e1, e2, n2 - e2), 2, byrow = TRUE))$p.value

fragility <- function(e1, n1, e2, n2, alpha = 0.05) {
  sig <- fisher_p(e1, n1, e2, n2) < alpha
  best <- NA
  for (arm in 1:2) for (step in c(1, -1)) {
    e <- c(e1, e2); n <- c(n1, n2); k <- 0
    repeat {
      k <- k + 1; e[arm] <- e[arm] + step
      if (e[arm] < 0 || e[arm] > n[arm]) break
      p <- fisher_p(e[1], n[1], e[2], n[2])
      if ((sig && p >= alpha) || (!sig && p < alpha)) { best <- min(best, k, na.rm = TRUE); break }
    }
  }
  best
}

num <- function(x) if (is.na(x)) "null" else formatC(x, digits = 17, format = "g")
rows <- sapply(tables, function(t) sprintf('{"table": [%s], "p": %s, "fragility": %s}',
                                          paste(t, collapse = ", "), num(fisher_p(t[1], t[2], t[3], t[4])),
                                          num(fragility(t[1], t[2], t[3], t[4]))))

# posterior: (hr, se, prior mean, prior sd); the CI is hr * exp(-+ qnorm(0.975) se)
post_cases <- list(c(2, 0.5, 0, 0.5), c(1.7, 0.33, 0, 0.7), c(0.8, 0.45, 1.1, 0.7), c(3, 0.5, -1.1, 0.7),
                   c(1.5, 0.3, 0, 10))
post_rows <- sapply(post_cases, function(c) {
  hr <- c[1]; se <- c[2]; m0 <- c[3]; s0 <- c[4]
  z <- qnorm(0.975); lo <- hr * exp(-z * se); hi <- hr * exp(z * se)
  se_ci <- (log(hi) - log(lo)) / (2 * z)
  w <- 1 / s0^2 + 1 / se_ci^2; m <- (m0 / s0^2 + log(hr) / se_ci^2) / w; s <- 1 / sqrt(w)
  q <- exp(qnorm(c(0.025, 0.5, 0.975), m, s))
  sprintf('{"hr": %s, "ci_low": %s, "ci_high": %s, "prior_mean": %s, "prior_sd": %s, "median": %s, "cri_low": %s, "cri_high": %s, "p_benefit": %s, "p_gt_1_25": %s}',
          num(hr), num(lo), num(hi), num(m0), num(s0), num(q[2]), num(q[1]), num(q[3]),
          num(pnorm(0, m, s, lower.tail = FALSE)), num(pnorm(log(1.25), m, s, lower.tail = FALSE)))
})

out <- sprintf('{\n "r_version": "%s",\n "generated_by": "tests/reference/evidence_reference.R",\n "fisher": [\n  %s\n ],\n "posterior": [\n  %s\n ]\n}\n',
               R.version.string, paste(rows, collapse = ",\n  "), paste(post_rows, collapse = ",\n  "))
writeLines(out, "tests/data/evidence_reference.json", sep = "")
