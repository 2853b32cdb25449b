"""The relations stage: candidate pairs with typed entity markers, relation classification."""
