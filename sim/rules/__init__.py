"""The model's rules, one module per ODD submodel, called in the theory's order by
``TutorialNetworkModel.step``: political opportunities, reversal, mandate, diffusion,
supervision, coaching, tutoring, assessment, motivation, turnover."""
