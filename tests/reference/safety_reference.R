# Reference values for tests/test_safety.py.
#
# Run from the repository root:
#   Rscript tests/reference/safety_reference.R
#
# 1. Generates a small trial folder tests/data/safety_trial/ (patients.csv,
#    adverse_events.csv): 2 x 30 analysed patients and 2 withdrawn patients
#    (whose events must be ignored), infusion fevers in the UC-MSC arm,
#    serious complications of cirrhosis in both arms, repeated events in one
#    patient, one event after the 48-week collection window, and HCC events
#    some of which fall after 75 months.
# 2. Computes with base R the counts, Fisher exact and chi-square p values, and
#    Newcombe's hybrid score interval (method 10 of Newcombe 1998, written out
#    from Wilson score intervals), and writes them at full precision to
#    tests/data/safety_reference.json with the R version.
suppressPackageStartupMessages(library(jsonlite))

out_dir <- "tests/data/safety_trial"
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)
set.seed(20240612)
n_arm <- 30
arms <- rep(c("control", "ucmsc"), each = n_arm)
n <- length(arms)
ids <- sprintf("S%03d", seq_len(n))
os <- round(runif(n, 30, 90), 2)
hcc <- rbinom(n, 1, ifelse(arms == "control", 0.3, 0.15))
hcc_m <- ifelse(hcc == 1, round(pmin(os, runif(n, 2, 85)), 2), os)
hcc[c(7, 40)] <- 1L                      # two HCCs after the 75-month horizon
os[c(7, 40)] <- c(88, 86); hcc_m[c(7, 40)] <- c(80, 78)
patients <- data.frame(
  patient_id = ids, arm = arms, disposition = "analyzed",
  randomized_on = format(as.Date("2012-03-01") + seq_len(n) * 5),
  age = round(runif(n, 25, 65)), sex = "M", os_months = os, death = rbinom(n, 1, 0.2),
  hcc_months = hcc_m, hcc = hcc, stringsAsFactors = FALSE)
wd <- data.frame(patient_id = c("W01", "W02"), arm = c("control", "ucmsc"), disposition = "withdrew",
                 randomized_on = "2012-05-01", age = 40, sex = "F", os_months = NA, death = NA,
                 hcc_months = NA, hcc = NA, stringsAsFactors = FALSE)
write.csv(rbind(patients, wd), file.path(out_dir, "patients.csv"), row.names = FALSE, na = "")

ae <- function(id, term, day, dur_days, serious, severity, inf = NA, onset_h = NA, dur_h = NA, temp = NA)
  data.frame(patient_id = id, term = term, onset_day = day,
             resolution_day = if (is.na(dur_days)) NA else day + dur_days,
             serious = serious, severity = severity, infusion_number = inf,
             onset_hours_after_infusion = onset_h, duration_hours = dur_h, temperature_c = temp,
             stringsAsFactors = FALSE)
u <- ids[arms == "ucmsc"]; k <- ids[arms == "control"]
fev_pat <- u[c(1, 2, 3, 5, 8)]
fev_inf <- c(1, 1, 2, 3, 1)
evts <- list()
for (i in seq_along(fev_pat)) {
  evts[[length(evts) + 1]] <- ae(fev_pat[i], "fever", (fev_inf[i] - 1) * 28, 0, 0, "mild",
                                 fev_inf[i], round(runif(1, 2, 6), 1), round(runif(1, 3, 12), 1),
                                 round(runif(1, 37.1, 38), 1))
}
evts[[length(evts) + 1]] <- ae(u[1], "fever", 28, 0, 0, "mild", 2, 4.5, 8, 37.6)  # second fever, same patient
comp <- c("infection", "gastrointestinal bleeding", "hepatic encephalopathy", "hepatorenal syndrome")
for (pp in list(list(k, c(5, 3, 2, 1)), list(u, c(3, 2, 2, 0)))) {
  for (j in seq_along(comp)) for (pid in sample(pp[[1]], pp[[2]][j]))
    evts[[length(evts) + 1]] <- ae(pid, comp[j], sample(10:330, 1), sample(3:20, 1), 1,
                                   sample(c("moderate", "severe"), 1))
}
evts[[length(evts) + 1]] <- ae(k[2], "infection", 150, 9, 1, "severe")       # repeated event
evts[[length(evts) + 1]] <- ae(k[2], "infection", 210, NA, 1, "severe")      # unresolved
evts[[length(evts) + 1]] <- ae(k[4], "ascites", 60, 30, 0, "moderate")
evts[[length(evts) + 1]] <- ae(u[10], "ascites", 400, 20, 0, "moderate")     # after 48 weeks
evts[[length(evts) + 1]] <- ae("W02", "fever", 0, 0, 0, "mild", 1, 3, 5, 37.5) # withdrawn: ignored
evts[[length(evts) + 1]] <- ae("W01", "infection", 40, 10, 1, "severe")
aes <- do.call(rbind, evts)
write.csv(aes, file.path(out_dir, "adverse_events.csv"), row.names = FALSE, na = "")

# ---------------------------------------------------------------------------
wilson <- function(x, n, conf = 0.95) {
  # Wilson score interval; equals prop.test(x, n, correct = FALSE)$conf.int
  z <- qnorm(1 - (1 - conf) / 2); p <- x / n
  c((p + z^2 / (2 * n) - z * sqrt(p * (1 - p) / n + z^2 / (4 * n^2))) / (1 + z^2 / n),
    (p + z^2 / (2 * n) + z * sqrt(p * (1 - p) / n + z^2 / (4 * n^2))) / (1 + z^2 / n))
}
newcombe <- function(x1, n1, x2, n2, conf = 0.95) {
  # Newcombe (1998) method 10: hybrid score interval for p1 - p2
  p1 <- x1 / n1; p2 <- x2 / n2; w1 <- wilson(x1, n1, conf); w2 <- wilson(x2, n2, conf)
  d <- p1 - p2
  c(d - sqrt((p1 - w1[1])^2 + (w2[2] - p2)^2), d + sqrt((w1[2] - p1)^2 + (p2 - w2[1])^2))
}
stopifnot(isTRUE(all.equal(wilson(7, 30), as.numeric(prop.test(7, 30, correct = FALSE)$conf.int))))
compare <- function(xu, nu, xc, nc) {
  tab <- matrix(c(xu, nu - xu, xc, nc - xc), 2, byrow = TRUE)
  ci <- newcombe(xu, nu, xc, nc)
  list(risk_diff = xu / nu - xc / nc, ci_low = ci[1], ci_high = ci[2], p_fisher = fisher.test(tab)$p.value)
}

a <- merge(aes, patients[, c("patient_id", "arm")], by = "patient_id")  # analysed only
a <- a[a$onset_day <= 48 * 7, ]
N <- table(factor(patients$arm, levels = c("control", "ucmsc")))
count <- function(sub, label) {
  pc <- length(unique(sub$patient_id[sub$arm == "control"])); pu <- length(unique(sub$patient_id[sub$arm == "ucmsc"]))
  c(list(term = label, patients_control = pc, events_control = sum(sub$arm == "control"),
         patients_ucmsc = pu, events_ucmsc = sum(sub$arm == "ucmsc")),
    compare(pu, N[["ucmsc"]], pc, N[["control"]]))
}
terms <- list(count(a, "Any adverse event"))
for (t in c("fever", comp, "ascites", "allergy")) terms[[length(terms) + 1]] <- count(a[a$term == t, ], t)
ser <- list(count(a, "Any adverse event"), count(a[a$serious == 1, ], "serious"),
            count(a[a$serious == 0, ], "non-serious"))
for (s in c("mild", "moderate", "severe", "life_threatening", "fatal"))
  ser[[length(ser) + 1]] <- count(a[a$severity == s, ], s)

f <- a[!is.na(a$infusion_number), ]
infusion <- lapply(split(f, f$term), function(g) list(
  term = g$term[1], arm = "ucmsc", patients = length(unique(g$patient_id)), events = nrow(g),
  onset_min = min(g$onset_hours_after_infusion), onset_median = median(g$onset_hours_after_infusion),
  onset_max = max(g$onset_hours_after_infusion), duration_min = min(g$duration_hours),
  duration_median = median(g$duration_hours), duration_max = max(g$duration_hours),
  temperature_min = min(g$temperature_c), temperature_max = max(g$temperature_c)))

hcc_case <- function(horizon) {
  ev <- patients$hcc == 1 & patients$hcc_months <= horizon
  xc <- sum(ev[patients$arm == "control"]); xu <- sum(ev[patients$arm == "ucmsc"])
  tab <- matrix(c(xu, N[["ucmsc"]] - xu, xc, N[["control"]] - xc), 2, byrow = TRUE)
  c(list(horizon = if (is.finite(horizon)) horizon else NULL, events_control = xc, n_control = N[["control"]],
         events_ucmsc = xu, n_ucmsc = N[["ucmsc"]],
         p_chisq_yates = chisq.test(tab, correct = TRUE)$p.value,
         p_chisq = chisq.test(tab, correct = FALSE)$p.value), compare(xu, N[["ucmsc"]], xc, N[["control"]]))
}
hcc_res <- list(suppressWarnings(hcc_case(75)), suppressWarnings(hcc_case(Inf)))

# Newcombe (1998) Table II examples (p1 = x1/n1, p2 = x2/n2), method 10
ex <- list(c(56, 70, 48, 80), c(9, 10, 3, 10), c(6, 7, 2, 7), c(5, 56, 0, 29),
           c(0, 10, 0, 20), c(0, 10, 0, 10), c(10, 10, 0, 20), c(10, 10, 0, 10))
examples <- lapply(ex, function(e) {
  ci <- newcombe(e[1], e[2], e[3], e[4])
  tab <- matrix(c(e[1], e[2] - e[1], e[3], e[4] - e[3]), 2, byrow = TRUE)
  list(x1 = e[1], n1 = e[2], x2 = e[3], n2 = e[4], ci_low = ci[1], ci_high = ci[2],
       p_fisher = fisher.test(tab)$p.value, wilson1_low = wilson(e[1], e[2])[1],
       wilson1_high = wilson(e[1], e[2])[2])
})

res <- list(generated_by = "tests/reference/safety_reference.R", r_version = R.version.string,
            packages = list(stats = as.character(packageVersion("stats")),
                            jsonlite = as.character(packageVersion("jsonlite"))),
            window_days = 48 * 7, n = as.list(N), by_term = terms, by_seriousness = ser,
            infusion = unname(infusion), hcc = hcc_res, newcombe_examples = examples)
writeLines(toJSON(res, auto_unbox = TRUE, digits = NA, pretty = TRUE, null = "null"), "tests/data/safety_reference.json")
cat("wrote", out_dir, "and tests/data/safety_reference.json\n")
