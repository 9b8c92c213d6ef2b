"""From evidence to a decision: checks, the policy, the evidence, the rule registry, the diagnosis."""
