# Reference values for tests/test_baseline.py.
#
# Makes a small trial folder (tests/data/baseline_trial/patients.csv: 64 randomized
# patients, some withdrawn, some baseline columns absent, one missing value) and
# computes the baseline statistics of its analysed patients with base R and e1071.
# Run from the repository root:
#   Rscript tests/reference/baseline_reference.R
# Writes tests/data/baseline_reference.json (full precision, with R and package versions).
suppressPackageStartupMessages({library(jsonlite); library(e1071)})
set.seed(20240604)
n <- 64
arm <- rep(c("control", "ucmsc"), each = n / 2)
disp <- rep("analyzed", n); disp[c(5, 40)] <- "withdrew"; disp[c(12)] <- "lost_to_follow_up"
pt <- data.frame(
  patient_id = sprintf("P%03d", 1:n), arm = arm, disposition = disp,
  randomized_on = format(as.Date("2012-01-01") + sample(0:1500, n, replace = TRUE)),
  age = sample(19:65, n, replace = TRUE),
  sex = sample(c("M", "F"), n, replace = TRUE, prob = c(0.85, 0.15)),
  alb = round(rnorm(n, 30 + (arm == "ucmsc"), 6), 1),
  tbil = round(exp(rnorm(n, log(35) + 0.5 * (arm == "ucmsc"), 0.8)), 1),
  meld = round(pmax(6, rnorm(n, 11, 4.5))),
  hbeag = sample(0:1, n, replace = TRUE, prob = c(0.73, 0.27)),
  child_pugh = sample(c("A", "B", "C"), n, replace = TRUE, prob = c(0.15, 0.65, 0.2)),
  ascites = sample(0:1, n, replace = TRUE, prob = c(0.2, 0.8)),
  stringsAsFactors = FALSE)
pt$alb[7] <- NA
pt$hbeag[c(3, 50)] <- NA
pt$os_months <- round(runif(n, 1, 80), 1)
pt$death <- rbinom(n, 1, 0.2)
pt$hcc_months <- round(pt$os_months * runif(n, 0.5, 1), 1)
pt$hcc <- rbinom(n, 1, 0.15)
# Patients not analysed have no outcome (the schema's rule; set after every random draw).
pt[pt$disposition != "analyzed", c("os_months", "death", "hcc_months", "hcc")] <- NA
dir.create("tests/data/baseline_trial", showWarnings = FALSE, recursive = TRUE)
write.csv(pt, "tests/data/baseline_trial/patients.csv", row.names = FALSE, na = "")

a <- pt[pt$disposition == "analyzed", ]
a$meld_gt15 <- ifelse(a$meld > 15, ">15", "<=15")
ctl <- a[a$arm == "control", ]; trt <- a[a$arm == "ucmsc", ]

cont <- list()
for (v in c("age", "alb", "tbil", "meld")) {
  x <- trt[[v]]; y <- ctl[[v]]; x <- x[!is.na(x)]; y <- y[!is.na(y)]
  st <- t.test(x, y, var.equal = TRUE); we <- t.test(x, y)
  mw <- wilcox.test(x, y, exact = FALSE, correct = TRUE)
  arm_stats <- function(z) list(n = length(z), mean = mean(z), sd = sd(z), median = median(z),
    q1 = unname(quantile(z, 0.25, type = 7)), q3 = unname(quantile(z, 0.75, type = 7)),
    min = min(z), max = max(z), skewness = e1071::skewness(z, type = 2))
  cont[[v]] <- list(control = arm_stats(y), ucmsc = arm_stats(x),
    t = unname(st$statistic), p_student = st$p.value, p_welch = we$p.value,
    W = unname(mw$statistic), p_mannwhitney = mw$p.value,
    smd = (mean(x) - mean(y)) / sqrt((var(x) + var(y)) / 2))
}

# Yang & Dalton (2012) standardized difference for categorical variables
smd_cat <- function(pt_, pc_) {
  if (length(pt_) == 2) return((pt_[1] - pc_[1]) / sqrt((pt_[1] * (1 - pt_[1]) + pc_[1] * (1 - pc_[1])) / 2))
  tt <- pt_[-1]; cc <- pc_[-1]
  S <- (diag(tt) - outer(tt, tt) + diag(cc) - outer(cc, cc)) / 2
  sqrt(drop(t(tt - cc) %*% solve(S) %*% (tt - cc)))
}
levels_of <- list(sex = c("M", "F"), hbeag = c(1, 0), child_pugh = c("A", "B", "C"),
                  ascites = c(1, 0), meld_gt15 = c(">15", "<=15"))
cat_ <- list()
for (v in names(levels_of)) {
  lv <- levels_of[[v]]
  tab <- rbind(control = sapply(lv, function(l) sum(ctl[[v]] == l, na.rm = TRUE)),
               ucmsc = sapply(lv, function(l) sum(trt[[v]] == l, na.rm = TRUE)))
  ch <- suppressWarnings(chisq.test(tab, correct = FALSE))
  out <- list(levels = as.character(lv), control = unname(tab[1, ]), ucmsc = unname(tab[2, ]),
              statistic = unname(ch$statistic), df = unname(ch$parameter), p_chisq = ch$p.value,
              p_fisher = fisher.test(tab)$p.value,
              smd = smd_cat(tab[2, ] / sum(tab[2, ]), tab[1, ] / sum(tab[1, ])))
  if (length(lv) == 2) out$p_chisq_yates <- suppressWarnings(chisq.test(tab, correct = TRUE))$p.value
  cat_[[v]] <- out
}
res <- list(
  generated_by = "tests/reference/baseline_reference.R",
  r_version = R.version.string,
  packages = list(e1071 = as.character(packageVersion("e1071")), jsonlite = as.character(packageVersion("jsonlite"))),
  n = list(control = nrow(ctl), ucmsc = nrow(trt)),
  continuous = cont, categorical = cat_)
writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, pretty = TRUE), "tests/data/baseline_reference.json")
